package dev.sdserve.orchestrator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code sd.orchestrator.*}: request limits and the deadlines of the calls to the stage services. */
@ConfigMapping(prefix = "sd.orchestrator")
public interface OrchestratorConfig {

    /** The largest n_images a request may ask for. */
    @WithDefault("8")
    int maxImages();

    /** The largest height or width in pixels. */
    @WithDefault("2048")
    int maxSide();

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
    }

    /** The request limits as a plain value for {@link GenerateRequests}. */
    default GenerateRequests.Limits limits() {
        return new GenerateRequests.Limits(maxImages(), maxSide());
    }
}
