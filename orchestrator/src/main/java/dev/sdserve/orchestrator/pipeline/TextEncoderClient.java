package dev.sdserve.orchestrator.pipeline;

import java.util.List;

/** The text-encoder stage as the pipeline sees it: prompts in, the UNet's text conditioning out. */
public interface TextEncoderClient {

    /**
     * Encodes {@code prompts} with the model's text encoder(s), in request order.
     *
     * @param prompts2 SDXL only: one prompt for the second encoder per entry of {@code prompts}; empty for SD 1.x/2.x
     */
    TextEmbeddings encode(String model, List<String> prompts, List<String> prompts2);
}
