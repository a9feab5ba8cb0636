package dev.sdserve.vae;

/**
 * Request limits of the VAE stage ({@code sd.vae.*}); they bound the memory one call can take.
 *
 * @param maxPixels pixels per image (width * height) a request may decode or encode
 * @param maxBatch  images per request
 */
public record VaeLimits(long maxPixels, int maxBatch) {
    public static final long DEFAULT_MAX_PIXELS = 1024L * 1024L;
    public static final int DEFAULT_MAX_BATCH = 16;

    public VaeLimits {
        if (maxPixels < 64 * 64 || maxBatch < 1) {
            throw new IllegalArgumentException("sd.vae limits: max-pixels must be >= 4096 and max-batch >= 1, got "
                    + maxPixels + " and " + maxBatch);
        }
    }

    public static VaeLimits defaults() {
        return new VaeLimits(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BATCH);
    }
}
