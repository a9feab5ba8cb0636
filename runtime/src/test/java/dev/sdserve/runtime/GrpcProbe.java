package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.quarkus.arc.Arc;
import io.quarkus.grpc.runtime.GrpcServer;
import io.quarkus.value.registry.ValueRegistry;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Test helper: checks a running server's grpc.health.v1 and reflection v1, as grpcurl would use them. */
public final class GrpcProbe {
    private GrpcProbe() {
    }

    /**
     * The port this {@code @QuarkusTest}'s gRPC server listens on. The services set
     * {@code quarkus.grpc.server.test-port=0}, so the OS picks a free port at start (two builds on one machine never
     * collide); Quarkus registers the bound port in its {@link ValueRegistry}.
     */
    public static int serverPort() {
        int port = Arc.container().instance(ValueRegistry.class).get().get(GrpcServer.GRPC_SERVER).getPort();
        if (port <= 0) throw new IllegalStateException("the gRPC server reports port " + port);
        return port;
    }

    public static ManagedChannel channel(int port) {
        return ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    }

    /** Asserts overall health SERVING. */
    public static void assertServing(int port) {
        ManagedChannel ch = channel(port);
        try {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService("").build());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
        } finally {
            ch.shutdownNow();
        }
    }

    /** The service names listed by reflection (what `grpcurl -plaintext host:port list` prints). */
    public static List<String> listServices(int port) throws Exception {
        ManagedChannel ch = channel(port);
        try {
            CompletableFuture<List<String>> done = new CompletableFuture<>();
            List<String> names = new ArrayList<>();
            StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(ch).serverReflectionInfo(
                    new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse r) {
                            for (ServiceResponse s : r.getListServicesResponse().getServiceList()) names.add(s.getName());
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(names);
                        }
                    });
            req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            req.onCompleted();
            return done.get(10, TimeUnit.SECONDS);
        } finally {
            ch.shutdownNow();
        }
    }

    /** Asserts health SERVING and that reflection lists every expected service plus grpc.health.v1.Health. */
    public static void assertHealthyWithReflection(int port, String... services) throws Exception {
        assertServing(port);
        List<String> listed = listServices(port);
        assertTrue(listed.contains("grpc.health.v1.Health"), "reflection lists " + listed);
        for (String s : services) assertTrue(listed.contains(s), s + " not in " + listed);
    }
}
