package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.runtime.SharedFixtures;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three unet-service replicas behind one orchestrator, as real processes: sessions spread over the replicas, a
 * replica that is not ready or is draining gets no new session, a SIGKILLed replica's sessions move to the
 * others and every image stays byte for byte the one the same seed gives undisturbed, and with every replica
 * gone a generation fails fast naming them all. The orchestrator also lists a fourth unet port where a replica
 * that never gets ready is started.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicasE2eTest {
    private static final int UNET = 3;
    private static final int GENERATIONS = 6;
    private static ServiceCluster cluster;
    private static int sparePort;
    /** The undisturbed run's PNG per seed. */
    private static final Map<Long, byte[]> reference = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        SharedFixtures.assume();
        ServiceCluster.Layout shared = Cluster.layout();
        assumeTrue(ServiceCluster.missingJars(shared).isEmpty(), "skipped: services not built (mvn package)");
        sparePort = ServiceCluster.freePort();
        ServiceCluster.Layout layout = new ServiceCluster.Layout(shared.projectDir(), shared.modelsRoots(),
                shared.defaultModel(), shared.workDir().resolveSibling("e2e-replicas"));
        cluster = ServiceCluster.start(layout, new ServiceCluster.Topology(Map.of(ServiceCluster.Service.UNET, UNET),
                List.of(sparePort), List.of("-Dsd.orchestrator.max-concurrent=8", "-Dsd.orchestrator.queue-size=8")));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    static GenerateRequest request(long seed, int steps) {
        return GenerateRequest.newBuilder().setPrompt("a replica test " + seed).setSteps(steps).setSeed(seed)
                .setHeight(64).setWidth(64).setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(3)).build();
    }

    @Test
    @Order(1)
    void sessionsSpreadEvenlyAndAReplicaThatIsNotReadyGetsNone() throws Exception {
        Path log = cluster.log(ServiceCluster.Service.UNET).resolveSibling("unet-service-starting.log");
        Process starting = cluster.launchExtra(ServiceCluster.Service.UNET, sparePort,
                List.of("-Dsd.unet.warm-models=tiny-sd15,no-such-model"), log);
        try {
            awaitHealth(sparePort, HealthCheckResponse.ServingStatus.NOT_SERVING);
            List<RunningGeneration> gens = startAll(200);
            for (RunningGeneration g : gens) assertTrue(g.awaitProgress(2, 120_000), "a generation never got going");
            List<Integer> sessions = sessionsPerReplica();
            Results.append("replicas: " + GENERATIONS + " concurrent generations over " + UNET + " unet replicas: sessions "
                    + sessions + ", not-ready replica " + sessions(sparePort));
            int max = Collections.max(sessions);
            int min = Collections.min(sessions);
            assertEquals(GENERATIONS, sessions.stream().mapToInt(Integer::intValue).sum(), "sessions " + sessions);
            assertTrue(max - min <= 1, "no replica holds more than one more session than another: " + sessions);
            assertEquals(0, sessions(sparePort), "the replica that is not ready got a session");
            for (int i = 0; i < GENERATIONS; i++) {
                assertEquals(Status.Code.OK, gens.get(i).awaitEnd(300_000).getCode());
                Generations r = gens.get(i).result();
                reference.put(seed(i), r.result().getImages(0).getPng().toByteArray());
                assertTrue(r.progress().stream().allMatch(p -> p.getMigrations() == 0), "nothing moved undisturbed");
            }
        } finally {
            starting.destroyForcibly();
            starting.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(2)
    void killingTheReplicaWithTheMostSessionsLosesNoGenerationAndChangesNoImage() throws Exception {
        assumeTrue(reference.size() == GENERATIONS, "needs the undisturbed run of the first test");
        List<RunningGeneration> gens = startAll(200);
        for (RunningGeneration g : gens) assertTrue(g.awaitProgress(5, 120_000), "a generation never got going");
        List<Integer> sessions = sessionsPerReplica();
        int victim = sessions.indexOf(Collections.max(sessions));
        cluster.kill(ServiceCluster.Service.UNET, victim); // SIGKILL
        int migrations = 0;
        List<Double> costs = new ArrayList<>();
        for (int i = 0; i < GENERATIONS; i++) {
            Status st = gens.get(i).awaitEnd(300_000);
            assertEquals(Status.Code.OK, st.getCode(), "generation " + i + ": " + st);
            Generations r = gens.get(i).result();
            assertArrayEquals(reference.get(seed(i)), r.result().getImages(0).getPng().toByteArray(),
                    "generation " + i + " (seed " + seed(i) + ") differs from its undisturbed run");
            int moved = r.progress().stream().mapToInt(StepProgress::getMigrations).sum();
            migrations += moved;
            for (StageTiming row : r.timings().getStagesList()) {
                if (row.getStage().equals("unet_migration")) {
                    assertEquals(moved, row.getCount(), "the profile counts each migration");
                    costs.add(row.getMeanMs());
                }
            }
        }
        Results.append(String.format(Locale.ROOT, "replicas: SIGKILL of the replica with %d of %s sessions: %d migrations, "
                + "all %d images equal; migration cost (reopen + re-run FULL step) %s ms", sessions.get(victim), sessions,
                migrations, GENERATIONS, costs.stream().map(c -> String.format(Locale.ROOT, "%.1f", c)).toList()));
        assertEquals(sessions.get(victim).intValue(), migrations, "each session on the killed replica moved once");
        cluster.restart(ServiceCluster.Service.UNET, victim);
    }

    @Test
    @Order(3)
    void aDrainingReplicaTakesNoNewSessionAndFinishesItsOwn() throws Exception {
        GenerateRequest longRun = request(100, 900);
        RunningGeneration first = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), longRun, 0);
        assertTrue(first.awaitProgress(3, 120_000));
        List<Integer> sessions = sessionsPerReplica();
        int draining = sessions.indexOf(1);
        Process p = cluster.process(ServiceCluster.Service.UNET, draining);
        p.destroy(); // SIGTERM: NOT_SERVING, then drain (up to sd.unet.drain-timeout)
        // NOT_SERVING, or already gone: on a quiet machine its one session may finish within the drain
        awaitHealth(cluster.port(ServiceCluster.Service.UNET, draining), HealthCheckResponse.ServingStatus.NOT_SERVING, p);
        Thread.sleep(300); // the orchestrator's health watch sees it too
        List<RunningGeneration> more = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            more.add(RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), request(200 + i, 60), 0));
        }
        for (RunningGeneration g : more) assertTrue(g.awaitProgress(1, 120_000), "a generation never got going");
        int onDraining = sessions(cluster.port(ServiceCluster.Service.UNET, draining));
        Results.append("replicas: draining replica had " + onDraining + " session(s) after 3 new generations started");
        assertTrue(onDraining <= 1, "a draining replica took a new session");
        for (RunningGeneration g : more) assertEquals(Status.Code.OK, g.awaitEnd(300_000).getCode());
        Status st = first.awaitEnd(300_000);
        assertEquals(Status.Code.OK, st.getCode(), "the session on the draining replica finished or moved: " + st);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the draining replica exited");
        byte[] drained = first.result().result().getImages(0).getPng().toByteArray();
        cluster.restart(ServiceCluster.Service.UNET, draining);
        Generations again = Generations.run(cluster, longRun);
        assertArrayEquals(again.result().getImages(0).getPng().toByteArray(), drained, "the drained generation's image changed");
    }

    @Test
    @Order(4)
    void withEveryReplicaDeadAGenerationFailsWithinTwoSecondsNamingThemAll() throws Exception {
        RunningGeneration g = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), request(300, 400), 0);
        assertTrue(g.awaitProgress(3, 120_000));
        for (int i = 0; i < UNET; i++) cluster.kill(ServiceCluster.Service.UNET, i);
        long killed = System.nanoTime();
        Status st = g.awaitEnd(10_000);
        long ms = (g.endedNanos() - killed) / 1_000_000L;
        Results.append("replicas: all " + UNET + " unet replicas killed: " + st.getCode() + " after " + ms + " ms: "
                + st.getDescription());
        assertEquals(Status.Code.UNAVAILABLE, st.getCode(), st.toString());
        assertTrue(st.getDescription().startsWith("unet-service unavailable at "), st.getDescription());
        for (int i = 0; i < UNET; i++) {
            String address = "localhost:" + cluster.port(ServiceCluster.Service.UNET, i);
            assertTrue(st.getDescription().contains(address), address + " not named: " + st.getDescription());
        }
        assertTrue(ms < 2000, "failing took " + ms + " ms");
        // and a new generation is refused at once, naming the stage
        RunningGeneration next = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), request(301, 5), 0);
        Status refused = next.awaitEnd(10_000);
        assertEquals(Status.Code.UNAVAILABLE, refused.getCode());
        assertTrue(refused.getDescription().startsWith("unet-service unavailable"), refused.getDescription());
    }

    private static long seed(int i) {
        return 10 + i;
    }

    private static List<RunningGeneration> startAll(int steps) {
        List<RunningGeneration> out = new ArrayList<>();
        for (int i = 0; i < GENERATIONS; i++) {
            out.add(RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), request(seed(i), steps), 0));
        }
        return out;
    }

    private static List<Integer> sessionsPerReplica() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < UNET; i++) out.add(sessions(cluster.port(ServiceCluster.Service.UNET, i)));
        return out;
    }

    /** Open sessions on the unet-service at {@code port}, from its GetStatus; 0 when it is gone. */
    private static int sessions(int port) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            return DenoiserGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getStatus(GetStatusRequest.getDefaultInstance()).getFeatureStore().getSessions();
        } catch (StatusRuntimeException gone) {
            return 0;
        } finally {
            ch.shutdownNow();
        }
    }

    private static void awaitHealth(int port, HealthCheckResponse.ServingStatus want) throws InterruptedException {
        awaitHealth(port, want, null);
    }

    /** Waits until the service on {@code port} reports {@code want}, or until {@code orExited} (if given) has exited. */
    private static void awaitHealth(int port, HealthCheckResponse.ServingStatus want, Process orExited)
            throws InterruptedException {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            HealthCheckResponse.ServingStatus last = null;
            for (int i = 0; i < 600; i++) {
                try {
                    last = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    if (last == want) return;
                } catch (RuntimeException notYet) {
                    // not listening yet, or no longer
                }
                if (orExited != null && !orExited.isAlive()) return;
                Thread.sleep(200);
            }
            throw new AssertionError("port " + port + " never reported " + want + " (last " + last + ")");
        } finally {
            ch.shutdownNow();
        }
    }
}
