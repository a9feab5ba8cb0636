package dev.sdserve.vae;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.util.Arrays;

/**
 * Checks of what a VAE request carries. Every failure is INVALID_ARGUMENT with a message that names the
 * field, so a client can fix its request without reading server logs.
 */
final class VaeInputs {
    /** Exported SD UNets need latent sides divisible by 8, so images are multiples of 64 pixels. */
    static final int SIDE_MULTIPLE = 64;
    /** VAE down-sampling factor: one latent cell is 8x8 pixels. */
    static final int VAE_FACTOR = 8;

    private VaeInputs() {
    }

    /** Latents {@code [B, latentChannels, h, w]}, finite, within the batch and pixel limits. */
    static void checkLatents(FloatTensor latents, int latentChannels, VaeLimits limits) {
        long[] s = latents.shape();
        SdException.require(s.length == 4, "latents: expected rank 4 [batch, " + latentChannels
                + ", height/8, width/8], got shape " + Arrays.toString(s));
        SdException.require(s[1] == latentChannels, "latents: expected " + latentChannels
                + " channels (dimension 1), got shape " + Arrays.toString(s));
        checkBatch("latents", s[0], limits);
        checkImageSize("latents", s[2] * VAE_FACTOR, s[3] * VAE_FACTOR, limits);
        requireFinite(latents, "latents");
    }

    /** Pixels {@code [B, 3, H, W]} in [0, 1], sides multiples of 64, within the limits. */
    static void checkPixels(FloatTensor pixels, String field, VaeLimits limits) {
        long[] s = pixels.shape();
        SdException.require(s.length == 4, field + ": expected rank 4 [batch, 3, height, width], got shape "
                + Arrays.toString(s));
        SdException.require(s[1] == 3, field + ": expected 3 channels (RGB, dimension 1), got shape "
                + Arrays.toString(s));
        checkBatch(field, s[0], limits);
        checkImageSize(field, s[2], s[3], limits);
        requireFinite(pixels, field);
        for (int i = 0; i < pixels.size(); i++) {
            float v = pixels.get(i);
            SdException.require(v >= 0f && v <= 1f, field + ": values must be in [0, 1]; found " + v + " at "
                    + Arrays.toString(index(s, i)));
        }
    }

    static void checkBatch(String field, long batch, VaeLimits limits) {
        SdException.require(batch >= 1, field + ": batch is empty (dimension 0 is " + batch + ")");
        SdException.require(batch <= limits.maxBatch(), field + ": batch of " + batch
                + " images is more than sd.vae.max-batch = " + limits.maxBatch());
    }

    /** Image sides: positive multiples of 64, and at most {@code maxPixels} pixels. */
    static void checkImageSize(String field, long height, long width, VaeLimits limits) {
        SdException.require(height > 0 && width > 0 && height % SIDE_MULTIPLE == 0 && width % SIDE_MULTIPLE == 0,
                field + ": image is " + width + "x" + height + " pixels; width and height must be positive multiples of "
                        + SIDE_MULTIPLE + " (latent sides multiples of 8)");
        SdException.require(height * width <= limits.maxPixels(), field + ": image is " + width + "x" + height
                + " = " + height * width + " pixels, more than sd.vae.max-pixels = " + limits.maxPixels());
    }

    /** Images per decoder call: 0 means 1, more than the batch means the whole batch. */
    static int chunkSize(int decodingBatchSize, long batch) {
        SdException.require(decodingBatchSize >= 0, "decoding_batch_size: must be >= 0 (0 = 1), got "
                + decodingBatchSize);
        return (int) Math.min(Math.max(decodingBatchSize, 1), batch);
    }

    /** INVALID_ARGUMENT when any value is NaN or infinite, saying how many and where the first is. */
    static void requireFinite(FloatTensor t, String field) {
        String bad = describeNonFinite(t);
        SdException.require(bad == null, field + ": " + bad + "; refusing to produce an image from them");
    }

    /** Null when every value is finite, else e.g. "3 of 4096 values are not finite (first: NaN at [0, 1, 2, 3])". */
    static String describeNonFinite(FloatTensor t) {
        int count = 0;
        int first = -1;
        for (int i = 0; i < t.size(); i++) {
            if (!Float.isFinite(t.get(i))) {
                if (count++ == 0) first = i;
            }
        }
        if (count == 0) return null;
        return count + " of " + t.size() + " values are not finite (first: " + t.get(first) + " at "
                + Arrays.toString(index(t.shape(), first)) + ")";
    }

    /** The multi-index of a flat C-order position. */
    static long[] index(long[] shape, long flat) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
