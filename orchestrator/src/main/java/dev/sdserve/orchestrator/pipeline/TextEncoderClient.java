package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import java.util.List;

/** The text-encoder stage as the pipeline sees it: prompts in, CLIP last_hidden_state out. */
public interface TextEncoderClient {

    /** Encodes {@code prompts} with the model's text encoder: float32 [prompts.size(), 77, D] in request order. */
    FloatTensor encode(String model, List<String> prompts);
}
