package dev.sdserve.vae;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code sd.vae.*}: limits of the VAE service (see {@link VaeLimits}). */
@ConfigMapping(prefix = "sd.vae")
public interface VaeConfig {
    /** Most pixels (width * height) of one image; larger requests get INVALID_ARGUMENT. */
    @WithDefault("1048576")
    long maxPixels();

    /** Most images in one Decode or Encode request. */
    @WithDefault("16")
    int maxBatch();

    /** On shutdown, how long Decode and Encode calls in flight may take to finish. */
    @WithDefault("10s")
    java.time.Duration drainTimeout();
}
