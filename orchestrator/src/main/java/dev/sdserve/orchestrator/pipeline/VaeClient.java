package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import java.util.List;

/** The VAE stage as the pipeline sees it. */
public interface VaeClient {

    /**
     * Decodes latents [B,4,h,w] as the loop ends with them (NOT divided by the scaling factor) to 8-bit RGB
     * images, one per latent, in order.
     */
    List<Png.Rgb> decode(String model, FloatTensor latents);

    /** Encodes an init image (img2img) to the latent distribution's mean [B,4,H/8,W/8], NOT scaled. */
    FloatTensor encode(String model, InitImage image);
}
