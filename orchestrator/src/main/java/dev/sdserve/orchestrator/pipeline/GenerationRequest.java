package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.scheduler.Schedulers;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import java.util.Optional;

/**
 * One validated generation with every default resolved (see {@code GenerateRequests} for the rules).
 *
 * @param model             the resolved model folder
 * @param scheduler         a short name, a diffusers class name, or "" for the model's own scheduler
 * @param guidance          CFG scale; at most 1 disables CFG (no unconditional batch)
 * @param seed              image i's noise is drawn with seed + i (ignored when initialLatents are given)
 * @param height            pixels, a multiple of 64
 * @param initialLatents    the N(0,1) draw [nImages,4,h,w]; for img2img the noise added to the encoded image
 * @param initImage         present = img2img
 * @param previewInterval   a preview every k UNet calls; 0 = none
 * @param decodingBatchSize images per VAE decode call
 * @param sdxl              prompt_2, negative_prompt_2 and size conditioning (SDXL models only)
 */
public record GenerationRequest(ModelFolder model, String prompt, String negativePrompt, int nImages, int steps,
                                double guidance, long seed, int height, int width, String scheduler,
                                int decodingBatchSize, CacheParams cache, int previewInterval,
                                Optional<FloatTensor> initialLatents, Optional<InitImage> initImage,
                                boolean returnLatents, SdxlInputs sdxl) {

    /** A request without SDXL-only inputs. */
    public GenerationRequest(ModelFolder model, String prompt, String negativePrompt, int nImages, int steps,
                             double guidance, long seed, int height, int width, String scheduler,
                             int decodingBatchSize, CacheParams cache, int previewInterval,
                             Optional<FloatTensor> initialLatents, Optional<InitImage> initImage,
                             boolean returnLatents) {
        this(model, prompt, negativePrompt, nImages, steps, guidance, seed, height, width, scheduler, decodingBatchSize,
                cache, previewInterval, initialLatents, initImage, returnLatents, SdxlInputs.NONE);
    }

    /** Classifier-free guidance is on: the UNet batch is [uncond..., cond...]. */
    public boolean cfg() {
        return guidance > 1.0;
    }

    /**
     * img2img's first timestep index (diffusers' get_timesteps with the scheduler order 1 that all our
     * schedulers have); 0 for text-to-image.
     */
    public int beginIndex() {
        return initImage.map(i -> Schedulers.beginIndex(steps, i.strength(), 1)).orElse(0);
    }

    /** The latent shape of the whole batch: [nImages, 4, height/8, width/8]. */
    public long[] latentShape() {
        return new long[] {nImages, 4, height / 8, width / 8};
    }
}
