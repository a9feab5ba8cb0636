package dev.sdserve.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.GetStatusResponse;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.OpenResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The readiness gate without Quarkus: while starting and while draining, new sessions (Open, Denoise) are
 * UNAVAILABLE naming the state and health says NOT_SERVING; other calls (GetStatus) still answer.
 */
class UnetDrainTest {
    private final GrpcHealthStorage health = new GrpcHealthStorage();
    private final UnetReadiness readiness = new UnetReadiness(health);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        server = ServerBuilder.forPort(0).addService(ServerInterceptors.intercept(
                new DenoiserGrpc.DenoiserImplBase() {
                    @Override
                    public void open(OpenRequest request, StreamObserver<OpenResponse> out) {
                        out.onNext(OpenResponse.newBuilder().setSessionId("s").build());
                        out.onCompleted();
                    }

                    @Override
                    public void getStatus(GetStatusRequest request, StreamObserver<GetStatusResponse> out) {
                        out.onNext(GetStatusResponse.getDefaultInstance());
                        out.onCompleted();
                    }
                }, new UnetDrain(readiness))).build().start();
        channel = ManagedChannelBuilder.forAddress("localhost", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void startingAndDrainingReplicasRefuseNewSessionsButAnswerTheRest() {
        DenoiserGrpc.DenoiserBlockingStub stub = DenoiserGrpc.newBlockingStub(channel);
        StatusRuntimeException starting = assertThrows(StatusRuntimeException.class, () -> stub.open(OpenRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, starting.getStatus().getCode());
        assertEquals("unet-service is starting (NOT_SERVING): open the session on another replica",
                starting.getStatus().getDescription());
        stub.getStatus(GetStatusRequest.getDefaultInstance()); // answers

        readiness.drain();
        assertEquals(ServingStatus.NOT_SERVING, health.statusForService("").getStatus());
        StatusRuntimeException draining = assertThrows(StatusRuntimeException.class, () -> stub.open(OpenRequest.getDefaultInstance()));
        assertEquals("unet-service is draining (NOT_SERVING): open the session on another replica",
                draining.getStatus().getDescription());
    }
}
