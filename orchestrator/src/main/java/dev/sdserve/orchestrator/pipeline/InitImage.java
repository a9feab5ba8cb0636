package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;

/**
 * The img2img input: an encoded image file (PNG/JPEG) or float pixels [1 or n, 3, H, W] in [0,1] (exactly one
 * of the two is set), and the strength in (0,1]: how far into the schedule the image is noised.
 */
public record InitImage(byte[] encoded, FloatTensor pixels, double strength) {

    public InitImage {
        if ((encoded == null) == (pixels == null)) {
            throw SdException.invalid("init_image: give exactly one of encoded_image and pixels");
        }
    }

    public static InitImage ofEncoded(byte[] file, double strength) {
        return new InitImage(file, null, strength);
    }

    public static InitImage ofPixels(FloatTensor pixels, double strength) {
        return new InitImage(null, pixels, strength);
    }
}
