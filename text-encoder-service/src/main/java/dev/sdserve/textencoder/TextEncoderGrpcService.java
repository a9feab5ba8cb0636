package dev.sdserve.textencoder;

import dev.sdserve.proto.v1.EncodeRequest;
import dev.sdserve.proto.v1.EncodeResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.proto.v1.TokenizeResponse;
import dev.sdserve.runtime.GrpcErrors;
import dev.sdserve.runtime.ModelRoots;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/** Thin gRPC adapter for the text encoder stage. */
@GrpcService
@Blocking
public class TextEncoderGrpcService extends TextEncoderGrpc.TextEncoderImplBase {

    @Inject
    ModelRoots roots;

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
        try {
            roots.resolve(request.getModel());
            out.onError(Status.UNIMPLEMENTED.withDescription("Tokenize is not implemented yet").asRuntimeException());
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void encode(EncodeRequest request, StreamObserver<EncodeResponse> out) {
        try {
            roots.resolve(request.getModel());
            out.onError(Status.UNIMPLEMENTED.withDescription("Encode is not implemented yet").asRuntimeException());
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
        }
    }
}
