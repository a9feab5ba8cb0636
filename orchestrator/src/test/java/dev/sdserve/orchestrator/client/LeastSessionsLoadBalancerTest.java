package dev.sdserve.orchestrator.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.GetStatusResponse;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.OpenResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The balancer and the static resolver on a real channel to three in-test unet-service doubles on real ports,
 * each with grpc-java's health service: sessions spread evenly, a NOT_SERVING replica gets none, a pick can
 * avoid replicas, and with every replica gone a call fails at once naming all of them.
 */
class LeastSessionsLoadBalancerTest {
    private final List<Server> servers = new ArrayList<>();
    private final List<HealthStatusManager> health = new ArrayList<>();
    /** Open streams per server port. */
    private final Map<Integer, AtomicInteger> open = new ConcurrentHashMap<>();
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        StringBuilder target = new StringBuilder("static:///");
        for (int i = 0; i < 3; i++) {
            HealthStatusManager h = new HealthStatusManager();
            AtomicInteger count = new AtomicInteger();
            Server s = ServerBuilder.forPort(0).addService(h.getHealthService()).addService(new Fake(count)).build().start();
            open.put(s.getPort(), count);
            servers.add(s);
            health.add(h);
            target.append(i == 0 ? "" : ",").append("localhost:").append(s.getPort());
        }
        channel = ManagedChannelBuilder.forTarget(target.toString()).usePlaintext()
                .defaultServiceConfig(StageChannels.serviceConfig("unet-service")).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        servers.forEach(Server::shutdownNow);
    }

    @Test
    void sessionsSpreadEvenlyOverServingReplicasOnly() throws Exception {
        awaitReady();
        List<StreamObserver<DenoiseRequest>> streams = new ArrayList<>();
        for (int i = 0; i < 6; i++) streams.add(openSession(null));
        awaitOpen(6);
        assertEquals(List.of(2, 2, 2), counts(), "six sessions over three replicas");

        health.get(0).setStatus("", ServingStatus.NOT_SERVING); // replica 0 drains
        Thread.sleep(300);
        for (int i = 0; i < 4; i++) streams.add(openSession(null));
        awaitOpen(10);
        List<Integer> c = counts();
        assertEquals(2, c.get(0), "a NOT_SERVING replica gets no new session: " + c);
        assertEquals(List.of(2, 4, 4), c);
        streams.forEach(StreamObserver::onCompleted);
    }

    @Test
    void aPickAvoidsTheReplicasItNamesAndRecordsWhereItWent() throws Exception {
        awaitReady();
        String first = "localhost:" + servers.get(0).getPort();
        String second = "localhost:" + servers.get(1).getPort();
        ReplicaPick pick = new ReplicaPick(Set.of(first, second));
        StreamObserver<DenoiseRequest> s = openSession(pick);
        awaitOpen(1);
        assertEquals(List.of(0, 0, 1), counts());
        assertEquals("localhost:" + servers.get(2).getPort(), pick.chosen());
        s.onCompleted();
    }

    @Test
    void withEveryReplicaGoneACallFailsAtOnceNamingThemAll() throws Exception {
        awaitReady();
        List<Integer> ports = servers.stream().map(Server::getPort).toList();
        servers.forEach(Server::shutdownNow);
        Thread.sleep(500);
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> DenoiserGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(ms < 2000, ms + " ms");
        for (int port : ports) assertTrue(e.getStatus().getDescription().contains("localhost:" + port), e.toString());
        assertTrue(e.getStatus().getDescription().startsWith("no serving unet-service replica: "), e.toString());
    }

    @Test
    void staticTargetsParseQuarkusAndPlainForms() {
        assertEquals(List.of("a:1", "b:50053", "c:3"), StaticNameResolverProvider.replicas("a:1,b,c:3", "50053"));
        assertEquals(List.of("localhost:50053"), StaticNameResolverProvider.replicas("localhost", "50053"));
        assertEquals("[a:1, b:2]", StaticNameResolverProvider.parse(URI.create("static:///a:1,b:2")).toString());
        assertThrows(IllegalArgumentException.class, () -> StaticNameResolverProvider.parse(URI.create("static:///a,b:2")));
    }

    @Test
    void theBalancingRuleTakesTheFewestSessionsAndTakesTurnsOnTies() {
        ReplicaLoad a = new ReplicaLoad("unet-service", "a:1");
        ReplicaLoad b = new ReplicaLoad("unet-service", "b:2");
        a.begin(true);
        assertEquals(b, ReplicaLoad.choose(List.of(a, b), Set.of(), true, 0).orElseThrow());
        b.begin(true);
        assertEquals(a, ReplicaLoad.choose(List.of(a, b), Set.of(), true, 0).orElseThrow());
        assertEquals(b, ReplicaLoad.choose(List.of(a, b), Set.of(), true, 1).orElseThrow());
        assertEquals(a, ReplicaLoad.choose(List.of(a, b), Set.of("b:2"), true, 1).orElseThrow(), "b is avoided");
        assertEquals(b, ReplicaLoad.choose(List.of(b), Set.of("b:2"), true, 0).orElseThrow(), "unless none else serves");
        assertTrue(ReplicaLoad.choose(List.of(), Set.of(), true, 0).isEmpty());
        Runnable end = a.begin(false);
        assertEquals(2, a.calls());
        end.run();
        end.run();
        assertEquals(1, a.calls(), "an end counts once");
    }

    private void awaitReady() throws InterruptedException {
        // the first call waits for a READY replica; afterwards give the other two a moment to connect
        DenoiserGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(5, TimeUnit.SECONDS)
                .getStatus(GetStatusRequest.getDefaultInstance());
        Thread.sleep(500);
    }

    private StreamObserver<DenoiseRequest> openSession(ReplicaPick pick) {
        DenoiserGrpc.DenoiserStub stub = DenoiserGrpc.newStub(channel);
        if (pick != null) stub = stub.withOption(ReplicaPick.KEY, pick);
        StreamObserver<DenoiseRequest> req = stub.denoise(new StreamObserver<>() {
            @Override
            public void onNext(DenoiseResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        req.onNext(DenoiseRequest.newBuilder().setOpen(OpenRequest.getDefaultInstance()).build());
        return req;
    }

    private void awaitOpen(int n) throws InterruptedException {
        for (int i = 0; i < 100 && counts().stream().mapToInt(Integer::intValue).sum() < n; i++) Thread.sleep(20);
    }

    private List<Integer> counts() {
        List<Integer> out = new ArrayList<>();
        for (Server s : servers) out.add(open.get(s.getPort()).get());
        return out;
    }

    /** Counts open Denoise streams; answers GetStatus. */
    private static final class Fake extends DenoiserGrpc.DenoiserImplBase {
        private final AtomicInteger open;

        Fake(AtomicInteger open) {
            this.open = open;
        }

        @Override
        public StreamObserver<DenoiseRequest> denoise(StreamObserver<DenoiseResponse> out) {
            Map<String, Boolean> seen = new HashMap<>();
            return new StreamObserver<>() {
                @Override
                public void onNext(DenoiseRequest r) {
                    if (seen.put("open", true) == null) {
                        open.incrementAndGet();
                        out.onNext(DenoiseResponse.newBuilder().setOpened(OpenResponse.newBuilder().setSessionId("s")).build());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    open.decrementAndGet();
                }

                @Override
                public void onCompleted() {
                    open.decrementAndGet();
                    out.onCompleted();
                }
            };
        }

        @Override
        public void getStatus(GetStatusRequest request, StreamObserver<GetStatusResponse> out) {
            out.onNext(GetStatusResponse.getDefaultInstance());
            out.onCompleted();
        }
    }
}
