package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The drain counter over a real server: a slow call is counted until it completes, and awaitIdle waits for it;
 * grpc.* calls (health checks and watches, which never end) are not counted.
 */
class InFlightCallsTest {

    @Test
    void countsACallUntilItEndsAndAwaitIdleWaitsForIt() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch[] gate = {entered, release};
        HealthGrpc.HealthImplBase slow = new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
                CountDownLatch[] g = gate.clone();
                g[0].countDown();
                try {
                    g[1].await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
                out.onCompleted();
            }
        };
        // The same handler served under a service name of the application's own (not grpc.*), as a stage's
        // methods are, and under its own name grpc.health.v1.Health.
        MethodDescriptor<HealthCheckRequest, HealthCheckResponse> appMethod = HealthGrpc.getCheckMethod().toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName("sd.test.Slow", "Check")).build();
        ServerServiceDefinition app = ServerServiceDefinition.builder("sd.test.Slow")
                .addMethod(appMethod, ServerCalls.asyncUnaryCall(slow::check)).build();
        InFlightCalls calls = new InFlightCalls() { };
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(app, calls))
                .addService(ServerInterceptors.intercept(slow, calls)).build().start();
        ManagedChannel ch = GrpcProbe.channel(server.getPort());
        try {
            CompletableFuture<HealthCheckResponse> health = CompletableFuture.supplyAsync(
                    () -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            assertEquals(0, calls.active(), "a grpc.* call is not counted");
            release.countDown();
            health.get(10, TimeUnit.SECONDS);
            CountDownLatch enteredApp = new CountDownLatch(1);
            CountDownLatch releaseApp = new CountDownLatch(1);
            gate[0] = enteredApp;
            gate[1] = releaseApp;
            CompletableFuture<HealthCheckResponse> reply = CompletableFuture.supplyAsync(
                    () -> ClientCalls.blockingUnaryCall(ch, appMethod, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                            HealthCheckRequest.getDefaultInstance()));
            assertTrue(enteredApp.await(10, TimeUnit.SECONDS));
            assertEquals(1, calls.active());
            assertFalse(calls.awaitIdle(Duration.ofMillis(100)), "the call is still running");

            CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                releaseApp.countDown();
            });
            assertTrue(calls.awaitIdle(Duration.ofSeconds(10)), "drain waits for the call to finish");
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, reply.get(10, TimeUnit.SECONDS).getStatus());
            assertEquals(0, calls.active());
        } finally {
            ch.shutdownNow();
            server.shutdownNow();
        }
    }
}
