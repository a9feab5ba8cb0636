package dev.sdserve.unet;

import dev.sdserve.proto.v1.CloseRequest;
import dev.sdserve.proto.v1.CloseResponse;
import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.DescribeRequest;
import dev.sdserve.proto.v1.DescribeResponse;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.GetStatusResponse;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.OpenResponse;
import dev.sdserve.proto.v1.StepRequest;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.runtime.GrpcErrors;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.function.Supplier;

/** Thin gRPC adapter of the UNet stage: maps protobuf to {@link DenoiseSessions} and errors to statuses. */
@GrpcService
@Blocking
public class DenoiserGrpcService extends DenoiserGrpc.DenoiserImplBase {

    @Inject
    DenoiseSessions sessions;

    @Override
    public StreamObserver<DenoiseRequest> denoise(StreamObserver<DenoiseResponse> responses) {
        return new DenoiseStream(sessions, responses);
    }

    @Override
    public void open(OpenRequest req, StreamObserver<OpenResponse> out) {
        reply(out, () -> ProtoMapping.opened(ProtoMapping.open(sessions, req, true)));
    }

    @Override
    public void step(StepRequest req, StreamObserver<StepResponse> out) {
        reply(out, () -> ProtoMapping.step(sessions.get(req.getSessionId()), req));
    }

    @Override
    public void close(CloseRequest req, StreamObserver<CloseResponse> out) {
        reply(out, () -> CloseResponse.newBuilder().setClosed(sessions.close(req.getSessionId())).build());
    }

    @Override
    public void describe(DescribeRequest req, StreamObserver<DescribeResponse> out) {
        reply(out, () -> ProtoMapping.describe(sessions.describe(req.getModel(), req.getCacheBranch())));
    }

    @Override
    public void getStatus(GetStatusRequest req, StreamObserver<GetStatusResponse> out) {
        reply(out, () -> ProtoMapping.status(sessions));
    }

    private static <T> void reply(StreamObserver<T> out, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
