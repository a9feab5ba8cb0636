package dev.sdserve.vae;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import java.util.List;

/**
 * What the VAE decoder gives back for a batch of latents.
 *
 * @param image float32 NHWC {@code [B, H, W, 3]} in [0, 1]: {@code clamp(x / 2 + 0.5, 0, 1)}
 * @param rgb   one 8-bit RGB image per latent, {@code round(image * 255)}, in order
 */
public record DecodedImages(FloatTensor image, List<Png.Rgb> rgb) {
    public DecodedImages {
        rgb = List.copyOf(rgb);
    }
}
