package dev.sdserve.orchestrator.pipeline;

/** The three stages a generation calls: over gRPC in the service, in-process in tests and benchmarks. */
public record StageClients(TextEncoderClient textEncoder, DenoiserClient denoiser, VaeClient vae) {
}
