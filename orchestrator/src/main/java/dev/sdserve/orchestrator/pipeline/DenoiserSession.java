package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.FloatTensor;

/**
 * One generation's UNet session. Steps run in order on one thread; {@link #close()} may be called from any
 * thread at any time (a client cancel closes the session while a step waits) and is idempotent. Closing
 * frees the session's cached feature on the UNet service.
 */
public interface DenoiserSession extends AutoCloseable {

    /** Runs the UNet on {@code sample} (already scale_model_input'ed) at timestep t in the requested mode. */
    StepResult step(FloatTensor sample, double t, StepMode mode);

    /** Ends the session normally (after the last step, or on an error); the service frees its feature. */
    @Override
    void close();

    /**
     * Abandons the session at once, even while a step is in flight: the client cancelled. Safe from any
     * thread; a waiting {@link #step} then fails with CANCELLED.
     */
    default void abort() {
        close();
    }

    /**
     * One step's answer.
     *
     * @param noisePred the UNet output [B,4,h,w]
     * @param modeRun   the graph that actually ran (a SHALLOW request whose feature was gone runs FULL)
     * @param cacheHit  SHALLOW only: the cached feature was found and used
     * @param runMs     time spent in ONNX Runtime's run call
     * @param serverMs  time the whole step took on the UNet service (the round trip minus this is transport)
     * @param migrations  how often the session moved to another replica during this step (usually 0)
     * @param migrationMs the time those moves took (reopen + the re-run FULL step), part of the round trip
     */
    record StepResult(FloatTensor noisePred, StepMode modeRun, boolean cacheHit, double runMs, double serverMs,
                      int migrations, double migrationMs) {
        /** A step that ran where the session was. */
        public StepResult(FloatTensor noisePred, StepMode modeRun, boolean cacheHit, double runMs, double serverMs) {
            this(noisePred, modeRun, cacheHit, runMs, serverMs, 0, 0);
        }

        /** This result as reached after {@code n} migrations that took {@code ms}. */
        public StepResult migrated(int n, double ms) {
            return new StepResult(noisePred, modeRun, cacheHit, runMs, serverMs, migrations + n, migrationMs + ms);
        }
    }
}
