package dev.sdserve.orchestrator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code sd.orchestrator.*}: request limits and the deadlines of the calls to the stage services. */
@ConfigMapping(prefix = "sd.orchestrator")
public interface OrchestratorConfig {

    /** The largest n_images a request may ask for. */
    @WithDefault("8")
    int maxImages();

    /** The largest height or width in pixels. */
    @WithDefault("2048")
    int maxSide();

    /**
     * The most pixels (height × width) per image: every stage's limit, vae-service's {@code sd.vae.max-pixels}
     * (both default to {@code SD_MAX_PIXELS}), so a request no stage could finish is refused before the first step.
     */
    @WithDefault("1048576")
    long maxPixels();

    /**
     * API keys of the public API, comma-separated (env {@code SD_API_KEYS}); with {@link #apiKeysFile()}, the keys a
     * call must present as {@code authorization: Bearer <key>}. Neither set: the API is open.
     */
    Optional<String> apiKeys();

    /** A file of API keys, one per line (# comments). */
    Optional<String> apiKeysFile();

    /** Generations one API key may run at once (0 = no per-key limit); beyond it, RESOURCE_EXHAUSTED. */
    @WithDefault("0")
    int maxConcurrentPerKey();

    /** Generations running at once; more wait in the queue. */
    @WithDefault("2")
    int maxConcurrent();

    /** Generations that may wait for a slot; beyond that, RESOURCE_EXHAUSTED. */
    @WithDefault("8")
    int queueSize();

    /**
     * On shutdown, how long running generations may take to finish before they are cancelled (their clients
     * then get UNAVAILABLE). Keep it below {@code quarkus.shutdown.timeout} and the container's stop grace.
     */
    @WithDefault("10s")
    Duration drainTimeout();

    /**
     * How often one generation's UNet session may move to another unet-service replica when its own is lost
     * (each move re-runs the last FULL step there); beyond it the generation fails with UNAVAILABLE. 0 = never.
     */
    @WithDefault("3")
    int maxMigrations();

    /** Deadlines of the stage calls. */
    Deadlines deadline();

    /** {@code sd.orchestrator.deadline.*}. */
    interface Deadlines {
        /** One Encode call to text-encoder-service. */
        @WithDefault("60s")
        Duration textEncoder();

        /** One UNet reply (the session's open, and every step). */
        @WithDefault("120s")
        Duration unetStep();

        /** A whole Denoise stream: a safety net against a generation that never ends. */
        @WithDefault("1h")
        Duration unetSession();

        /** One Decode or Encode call to vae-service. */
        @WithDefault("300s")
        Duration vae();

        /** One grpc.health.v1 Check of a stage, made before each generation starts. */
        @WithDefault("1s")
        Duration healthCheck();
    }

    /** The request limits as a plain value for {@link GenerateRequests}. */
    default GenerateRequests.Limits limits() {
        return new GenerateRequests.Limits(maxImages(), maxSide(), maxPixels());
    }
}
