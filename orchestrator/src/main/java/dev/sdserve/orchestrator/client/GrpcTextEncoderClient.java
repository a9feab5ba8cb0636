package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.TextEmbeddings;
import dev.sdserve.orchestrator.pipeline.TextEncoderClient;
import dev.sdserve.proto.v1.EncodeRequest;
import dev.sdserve.proto.v1.EncodeResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.TensorCodec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** {@link TextEncoderClient} over text-encoder-service's unary Encode. */
public final class GrpcTextEncoderClient implements TextEncoderClient {
    private final TextEncoderGrpc.TextEncoderBlockingStub stub;
    private final StageEndpoint endpoint;

    public GrpcTextEncoderClient(TextEncoderGrpc.TextEncoderBlockingStub stub, StageEndpoint endpoint) {
        this.stub = stub;
        this.endpoint = endpoint;
    }

    @Override
    public TextEmbeddings encode(String model, List<String> prompts, List<String> prompts2) {
        EncodeResponse r;
        try {
            r = stub.withDeadlineAfter(endpoint.deadline().toMillis(), TimeUnit.MILLISECONDS)
                    .encode(EncodeRequest.newBuilder().setModel(model).addAllPrompts(prompts).addAllPrompts2(prompts2).build());
        } catch (RuntimeException e) {
            throw endpoint.failure(e);
        }
        FloatTensor hidden = TensorCodec.fromProto(r.getLastHiddenState(), endpoint.stage() + " last_hidden_state");
        Optional<FloatTensor> pooled = r.hasPooled()
                ? Optional.of(TensorCodec.fromProto(r.getPooled(), endpoint.stage() + " pooled")) : Optional.empty();
        return new TextEmbeddings(hidden, pooled);
    }
}
