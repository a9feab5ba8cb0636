package dev.sdserve.unet;

import dev.sdserve.runtime.FloatTensor;

/**
 * What a denoising session is conditioned on, sent once at open; every step reuses it.
 *
 * @param encoderHiddenStates the text embeddings [batch, sequence, dim] (SDXL: both encoders' concatenated)
 * @param textEmbeds          SDXL only: the pooled text embeddings [batch, proj_dim]; null for other UNets
 * @param timeIds             SDXL only: [batch, 6] = (orig_h, orig_w, crop_top, crop_left, target_h, target_w);
 *                            null for other UNets
 */
public record UnetConditioning(FloatTensor encoderHiddenStates, FloatTensor textEmbeds, FloatTensor timeIds) {

    /** SD 1.x/2.x: the text embeddings only. */
    public static UnetConditioning text(FloatTensor encoderHiddenStates) {
        return new UnetConditioning(encoderHiddenStates, null, null);
    }
}
