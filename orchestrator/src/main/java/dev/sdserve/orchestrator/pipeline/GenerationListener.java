package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;

/** Receives a generation's events as they happen, on the generation's thread. */
public interface GenerationListener {

    /** No-op listener. */
    GenerationListener NONE = new GenerationListener() { };

    /** After every UNet call and scheduler step. */
    default void progress(StepEvent event) {
    }

    /** The latents [B,4,h,w] after call {@code index}'s scheduler step (for callers that render their own previews). */
    default void latents(int index, FloatTensor latents) {
    }

    /** A cheap preview PNG (latent-to-RGB projection, 1/8 size, one image per row) after call {@code index}. */
    default void preview(int index, byte[] png) {
    }
}
