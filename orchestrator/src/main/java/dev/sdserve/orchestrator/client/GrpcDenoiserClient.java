package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.DenoiserClient;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.orchestrator.pipeline.UnetConditioning;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.runtime.TensorCodec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link DenoiserClient} over unet-service's bidirectional Denoise stream: one stream per generation, so the
 * session and its cached feature live on one connection to one replica for the generation's whole life.
 */
public final class GrpcDenoiserClient implements DenoiserClient {
    private final DenoiserGrpc.DenoiserStub stub;
    private final StageEndpoint endpoint;
    private final Duration sessionDeadline;

    /**
     * @param endpoint        its deadline bounds each reply (open and every step)
     * @param sessionDeadline bounds the whole stream, as a safety net against a generation that never ends
     */
    public GrpcDenoiserClient(DenoiserGrpc.DenoiserStub stub, StageEndpoint endpoint, Duration sessionDeadline) {
        this.stub = stub;
        this.endpoint = endpoint;
        this.sessionDeadline = sessionDeadline;
    }

    @Override
    public DenoiserSession open(String model, UnetConditioning conditioning, int cacheBranch) {
        OpenRequest.Builder open = OpenRequest.newBuilder().setModel(model)
                .setEncoderHiddenStates(TensorCodec.toProto(conditioning.encoderHiddenStates())).setCacheBranch(cacheBranch);
        conditioning.textEmbeds().ifPresent(t -> open.setTextEmbeds(TensorCodec.toProto(t)));
        conditioning.timeIds().ifPresent(t -> open.setTimeIds(TensorCodec.toProto(t)));
        return GrpcDenoiserSession.open(stub.withDeadlineAfter(sessionDeadline.toMillis(), TimeUnit.MILLISECONDS),
                endpoint, open.build());
    }
}
