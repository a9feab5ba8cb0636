package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import java.util.Optional;

/**
 * The per-session conditioning a UNet session is opened with (sent once; steps carry only latents and t). Every
 * tensor holds the whole UNet batch, with CFG [uncond..., cond...].
 *
 * @param encoderHiddenStates [B, 77, D]
 * @param textEmbeds          SDXL only: pooled text embeddings [B, P]
 * @param timeIds             SDXL only: micro-conditioning [B, 6] = (orig_h, orig_w, crop_top, crop_left, target_h, target_w)
 */
public record UnetConditioning(FloatTensor encoderHiddenStates, Optional<FloatTensor> textEmbeds,
                               Optional<FloatTensor> timeIds) {

    /** SD 1.x/2.x: the text embeddings alone. */
    public static UnetConditioning of(FloatTensor encoderHiddenStates) {
        return new UnetConditioning(encoderHiddenStates, Optional.empty(), Optional.empty());
    }
}
