package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import io.grpc.Status;
import java.util.Locale;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Faults with real processes: a stage killed mid-generation or down before it, and a client deadline. Each
 * test restarts what it killed, so the shared cluster is whole again for the next test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsE2eTest {
    /** Time a client may wait for the error once a stage is gone. */
    private static final long FAIL_FAST_MS = 2000;

    static GenerateRequest longRun() {
        return GenerateRequest.newBuilder().setPrompt("a long generation").setSteps(500).setSeed(5)
                .setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(3)).build();
    }

    static GenerateRequest shortRun(long seed) {
        return GenerateRequest.newBuilder().setPrompt("a short generation").setSteps(3).setSeed(seed)
                .setHeight(64).setWidth(64).build();
    }

    @Test
    @Order(1)
    void killingUnetMidGenerationIsUnavailableNamingTheStageAndARestartServesAgain() throws Exception {
        ServiceCluster cluster = Cluster.get();
        RunningGeneration g = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), longRun(), 0);
        try {
            assertTrue(g.awaitProgress(3, 120_000), "the generation never got going");
            long killed = System.nanoTime();
            cluster.kill(ServiceCluster.Service.UNET); // SIGKILL, returns once the process is gone
            Status status = g.awaitEnd(10_000);
            long ms = (g.endedNanos() - killed) / 1_000_000L;
            Results.append("fault: unet-service killed mid-generation (step " + g.progress() + "): " + status.getCode()
                    + " after " + ms + " ms: " + status.getDescription());
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
            assertTrue(status.getDescription().startsWith("unet-service unavailable at localhost:"), status.getDescription());
            assertTrue(ms < FAIL_FAST_MS, "the client learned of the dead stage only after " + ms + " ms");
        } finally {
            g.cancel();
            cluster.restart(ServiceCluster.Service.UNET);
        }
        Generations after = Generations.run(cluster, shortRun(1));
        assertNotNull(after.result(), "the first generation after the restart failed");
        assertEquals(4, after.progress().size(), "3 PNDM steps are 4 UNet calls");
    }

    @Test
    @Order(2)
    void vaeDownFailsTheGenerationFastNamingTheStageBeforeAnyStep() throws Exception {
        ServiceCluster cluster = Cluster.get();
        cluster.kill(ServiceCluster.Service.VAE);
        try {
            long start = System.nanoTime();
            RunningGeneration g = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), longRun(), 0);
            Status status = g.awaitEnd(10_000);
            long ms = (g.endedNanos() - start) / 1_000_000L;
            Results.append("fault: vae-service down: " + status.getCode() + " after " + ms + " ms, " + g.progress()
                    + " steps run: " + status.getDescription());
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
            assertTrue(status.getDescription().startsWith("vae-service unavailable at localhost:"), status.getDescription());
            assertEquals(0, g.progress(), "the health pre-check stops the generation before denoising");
            assertTrue(ms < FAIL_FAST_MS, "failing took " + ms + " ms");
        } finally {
            cluster.restart(ServiceCluster.Service.VAE);
        }
        assertNotNull(Generations.run(cluster, shortRun(2)).result(), "the first generation after the VAE restart failed");
    }

    @Test
    @Order(3)
    void aClientDeadlineIsDeadlineExceededAndFreesTheUnetSession() throws Exception {
        ServiceCluster cluster = Cluster.get();
        String before = cluster.logText(ServiceCluster.Service.ORCHESTRATOR);
        RunningGeneration g = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), longRun(), 3000);
        try {
            assertTrue(g.awaitProgress(1, 3000), "no step within the deadline; the test needs a few steps to run first");
            String session = UnetSessions.openedAfter(cluster, before);
            Status status = g.awaitEnd(10_000);
            long expired = g.endedNanos();
            assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), status.toString());
            long ms = UnetSessions.msUntilFreed(cluster, session, expired, 5000);
            Results.append(String.format(Locale.ROOT, "fault: client deadline 3 s after %d steps: %s; UNet session freed %d ms"
                    + " after the deadline", g.progress(), status.getCode(), ms));
            assertTrue(ms >= 0, "the UNet session is still open 5 s after the deadline");
            assertTrue(ms < 1000, "the UNet session was freed only " + ms + " ms after the deadline");
        } finally {
            g.cancel();
        }
    }
}
