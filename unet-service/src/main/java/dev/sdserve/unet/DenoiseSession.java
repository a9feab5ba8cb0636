package dev.sdserve.unet;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One denoising session: its conditioning (the text embeddings, and SDXL's pooled embeddings and time ids), sent
 * once at open, and the session's slot in the feature store.
 * A FULL step runs the full graph and caches its feature; a SHALLOW step runs the shallow graph on it, or runs
 * FULL when the feature was evicted (and says so). Steps of one session run one at a time. Closing frees the
 * store entry at once; the embeddings and the model lease are released as soon as no step is running.
 */
public final class DenoiseSession implements AutoCloseable {
    /** Which graph a step runs. */
    public enum Mode { FULL, SHALLOW }

    /** A step's result and how it was obtained. */
    public record StepResult(FloatTensor noisePred, Mode modeRun, boolean cacheHit, double runMs, double serverMs) {
    }

    private final String id;
    private final UnetStage stage;
    private final AutoCloseable lease;
    private final UnetStage.Inputs inputs;
    private final long batch;
    private final FeatureStore store;
    private final Consumer<String> onClosed;
    private final Tracer tracer;
    private final Object stepLock = new Object();
    private long steps; // guarded by stepLock
    private boolean running;
    private String closedBecause;
    private boolean released;

    /** Opens the session's store slot; {@code inputs} and {@code lease} become the session's to release. */
    DenoiseSession(UnetStage stage, AutoCloseable lease, UnetStage.Inputs inputs, FeatureStore store,
                   Consumer<String> onClosed, Tracer tracer, boolean unary) {
        this.stage = stage;
        this.tracer = tracer;
        this.lease = lease;
        this.inputs = inputs;
        this.batch = inputs.batch();
        this.store = store;
        this.onClosed = onClosed;
        Runnable onExpire = () -> end("expired after " + store.limits().ttl(unary) + " idle");
        this.id = unary ? store.openUnary(onExpire) : store.open(onExpire);
    }

    public String id() {
        return id;
    }

    public UnetStage.Description description() {
        return stage.description();
    }

    /**
     * Runs one step with the same timestep for the whole batch, in a {@code unet_step} span (a child of the
     * current context: the Denoise call's span) that says which graph ran and whether the cache was hit.
     */
    public StepResult step(FloatTensor sample, double timestep, Mode mode) {
        long t0 = System.nanoTime();
        SdException.require(mode != null, "mode: FULL or SHALLOW required");
        UnetStage.Description d = stage.description();
        Attributes attributes = Attributes.builder().put(Tracing.MODEL, d.model()).put(Tracing.EP, d.executionProvider())
                .put(Tracing.BATCH, batch).put(Tracing.TIMESTEP, timestep).put(Tracing.MODE_REQUESTED, mode.name()).build();
        return Tracing.inSpan(tracer, Tracing.UNET_STEP, attributes, span -> {
            StepResult r = run(sample, timestep, mode, t0, span);
            span.setAttribute(Tracing.MODE, r.modeRun().name());
            span.setAttribute(Tracing.CACHE_HIT, r.cacheHit());
            return r;
        });
    }

    private StepResult run(FloatTensor sample, double timestep, Mode mode, long t0, Span span) {
        synchronized (stepLock) {
            begin();
            span.setAttribute(Tracing.STEP, steps++);
            try {
                stage.checkSample(sample, batch);
                double[] t = {timestep};
                if (mode == Mode.SHALLOW) {
                    Optional<FeatureStore.Pin> pin = store.acquire(id);
                    if (pin.isPresent()) {
                        try (FeatureStore.Pin p = pin.get()) {
                            UnetStage.ShallowRun r = stage.runShallow(sample, t, inputs, p.feature());
                            return new StepResult(r.noisePred(), Mode.SHALLOW, true, r.runMs(), ms(t0));
                        }
                    }
                }
                UnetStage.FullRun r = stage.runFull(sample, t, inputs);
                store.put(id, r.feature()); // not cached when the store is full: the next SHALLOW runs FULL
                return new StepResult(r.noisePred(), Mode.FULL, false, r.runMs(), ms(t0));
            } finally {
                finish();
            }
        }
    }

    /** Closes the session: frees the cached feature now and everything else once no step runs. */
    @Override
    public void close() {
        end("closed");
    }

    public synchronized boolean isClosed() {
        return closedBecause != null;
    }

    private synchronized void begin() {
        if (closedBecause != null) throw SdException.notFound("UNet session '" + id + "' is " + closedBecause);
        running = true;
    }

    private void finish() {
        synchronized (this) {
            running = false;
            if (closedBecause == null) return;
        }
        release();
    }

    private void end(String why) {
        synchronized (this) {
            if (closedBecause != null) return;
            closedBecause = why;
        }
        store.close(id);
        onClosed.accept(id);
        synchronized (this) {
            if (running) return; // the running step releases when it finishes
        }
        release();
    }

    private void release() {
        synchronized (this) {
            if (released) return;
            released = true;
        }
        inputs.close();
        try {
            lease.close();
        } catch (Exception e) {
            throw SdException.internal("returning the UNet lease", e);
        }
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }
}
