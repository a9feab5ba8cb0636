package dev.sdserve.textencoder;

import dev.sdserve.proto.v1.EncodeRequest;
import dev.sdserve.proto.v1.EncodeResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.proto.v1.TokenizeResponse;
import dev.sdserve.proto.v1.TokenizedPrompt;
import dev.sdserve.runtime.GrpcErrors;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.Arrays;

/**
 * Thin gRPC adapter of {@link TextEncoderStage}: maps requests to stage calls and errors to a status through
 * {@link GrpcErrors}. Blocking, because tokenizing and ORT runs must stay off the event loop.
 */
@GrpcService
@Blocking
public class TextEncoderGrpcService extends TextEncoderGrpc.TextEncoderImplBase {

    @Inject
    TextEncoderModels models;
    @Inject
    TextEncoderTracing tracing;

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
        TokenizeResponse.Builder reply = TokenizeResponse.newBuilder();
        try (ModelCache<TextEncoderStage>.Lease stage = models.acquire(request.getModel())) {
            for (Tokenization t : tracing.tokenize(stage.get(), request.getPromptsList())) reply.addPrompts(toProto(t));
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        out.onNext(reply.build());
        out.onCompleted();
    }

    @Override
    public void encode(EncodeRequest request, StreamObserver<EncodeResponse> out) {
        EncodeResponse.Builder reply = EncodeResponse.newBuilder();
        try (ModelCache<TextEncoderStage>.Lease stage = models.acquire(request.getModel())) {
            TextEncoderStage.Encoded encoded = tracing.encode(stage.get(), request.getPromptsList(),
                    request.getPrompts2List());
            reply.setLastHiddenState(TensorCodec.toProto(encoded.lastHiddenState()));
            for (Tokenization t : encoded.prompts()) reply.addPrompts(toProto(t));
            if (encoded.pooled() != null) reply.setPooled(TensorCodec.toProto(encoded.pooled()));
            for (Tokenization t : encoded.prompts2()) reply.addPrompts2(toProto(t));
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        out.onNext(reply.build());
        out.onCompleted();
    }

    private static TokenizedPrompt toProto(Tokenization t) {
        return TokenizedPrompt.newBuilder()
                .addAllIds(Arrays.stream(t.ids()).boxed().toList())
                .addAllTokens(t.tokens())
                .setTruncated(t.truncated())
                .setDropped(t.dropped())
                .build();
    }
}
