package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;

/** The UNet stage as the pipeline sees it: a factory of per-generation sessions. */
public interface DenoiserClient {

    /**
     * Opens one generation's session: the text embeddings [B,77,D] are sent once and the UNet service keeps
     * this session's DeepCache feature for {@code cacheBranch} until the session is closed.
     */
    DenoiserSession open(String model, FloatTensor encoderHiddenStates, int cacheBranch);
}
