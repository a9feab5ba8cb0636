package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import java.util.Optional;

/**
 * What the text-encoder stage returns for a list of prompts, in request order.
 *
 * @param hiddenStates the UNet's encoder_hidden_states [n, 77, D]: SD 1.x/2.x the last hidden state; SDXL both
 *                     encoders' penultimate hidden states concatenated on the last axis
 * @param pooled       SDXL only: text_encoder_2's pooled, projected {@code text_embeds} [n, P]
 */
public record TextEmbeddings(FloatTensor hiddenStates, Optional<FloatTensor> pooled) {

    /** SD 1.x/2.x: hidden states only. */
    public static TextEmbeddings of(FloatTensor hiddenStates) {
        return new TextEmbeddings(hiddenStates, Optional.empty());
    }
}
