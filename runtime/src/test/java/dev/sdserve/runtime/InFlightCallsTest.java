package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
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

/** The drain counter over a real server: a slow call is counted until it completes, and awaitIdle waits for it. */
class InFlightCallsTest {

    @Test
    void countsACallUntilItEndsAndAwaitIdleWaitsForIt() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HealthGrpc.HealthImplBase slow = new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
                out.onCompleted();
            }
        };
        InFlightCalls calls = new InFlightCalls() { };
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(slow, calls)).build().start();
        ManagedChannel ch = GrpcProbe.channel(server.getPort());
        try {
            CompletableFuture<HealthCheckResponse> reply = CompletableFuture.supplyAsync(
                    () -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            assertEquals(1, calls.active());
            assertFalse(calls.awaitIdle(Duration.ofMillis(100)), "the call is still running");

            CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
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
