package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import java.util.List;
import java.util.Optional;

/**
 * What a generation returns: the images in order, the parameters text stored in each PNG, the stage profile,
 * and remarks on how the request was run (e.g. that DeepCache had nothing to skip).
 */
public record GenerationResult(List<Image> images, String parameters, List<StageTimings.Timing> timings,
                               List<String> notes) {

    public GenerationResult(List<Image> images, String parameters, List<StageTimings.Timing> timings) {
        this(images, parameters, timings, List.of());
    }

    /**
     * One image.
     *
     * @param png     the PNG file, with a {@code parameters} text chunk
     * @param seed    the seed of this image's draw (seed + index)
     * @param latents the final latents [1,4,h,w] (before the VAE's scaling), when requested
     */
    public record Image(byte[] png, long seed, Optional<FloatTensor> latents, int width, int height) {
    }
}
