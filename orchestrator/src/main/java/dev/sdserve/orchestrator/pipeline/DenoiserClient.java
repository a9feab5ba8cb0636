package dev.sdserve.orchestrator.pipeline;

/** The UNet stage as the pipeline sees it: a factory of per-generation sessions. */
public interface DenoiserClient {

    /**
     * Opens one generation's session: the conditioning (text embeddings [B,77,D], and SDXL's pooled embeddings and
     * time ids) is sent once and the UNet service keeps this session's DeepCache feature for {@code cacheBranch}
     * until the session is closed.
     */
    DenoiserSession open(String model, UnetConditioning conditioning, int cacheBranch);
}
