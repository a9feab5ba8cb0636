package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown of the orchestrator (SIGTERM): a generation that can finish within
 * {@code sd.orchestrator.drain-timeout} finishes; one that cannot is cancelled cleanly, its client told
 * UNAVAILABLE and its UNet session freed; then the process exits.
 */
class DrainE2eTest {

    @Test
    void sigtermFinishesShortGenerationsAndCancelsLongOnesCleanly() throws Exception {
        ServiceCluster cluster = Cluster.get();
        try (ExtraOrchestrator o = ExtraOrchestrator.start(cluster, "drain-orchestrator",
                List.of("-Dsd.orchestrator.drain-timeout=8s")).awaitServing()) {
            ManagedChannel ch = o.plaintextChannel();
            try {
                RunningGeneration longOne = RunningGeneration.start(ch, FaultsE2eTest.longRun(), 0);
                assertTrue(longOne.awaitProgress(2, 60_000), "the long generation never got going");
                String session = sessionOf(o);
                RunningGeneration shortOne = RunningGeneration.start(ch, FaultsE2eTest.shortRun(7).toBuilder()
                        .setSteps(8).build(), 0);
                assertTrue(shortOne.awaitProgress(1, 30_000), "the short generation never got going");

                long exitMs = o.terminate(30_000);
                Status shortEnd = shortOne.awaitEnd(1000);
                Status longEnd = longOne.awaitEnd(1000);
                long freedMs = UnetSessions.msUntilFreed(cluster, session, System.nanoTime(), 2000);
                Results.append("drain: SIGTERM -> exit in " + exitMs + " ms; short generation " + shortEnd.getCode()
                        + " after " + shortOne.progress() + " steps; long one " + longEnd.getCode() + " after "
                        + longOne.progress() + " steps: " + longEnd.getDescription() + "; short one's timings: "
                        + (shortOne.result().timings() == null ? "none" : Results.timings(shortOne.result().timings())));

                assertEquals(Status.Code.OK, shortEnd.getCode(), "the short generation was not allowed to finish: " + shortEnd);
                assertNotNull(shortOne.result().result(), "the short generation got its images");
                assertEquals(Status.Code.UNAVAILABLE, longEnd.getCode(), longEnd.toString());
                assertEquals("generation cancelled: the orchestrator is shutting down", longEnd.getDescription());
                assertTrue(freedMs >= 0, "the long generation's UNet session is still open after the shutdown");
                assertTrue(o.logText().contains("shutdown: drained; 1 generation(s) cancelled"), o.logText());
            } finally {
                ch.shutdownNow();
            }
        }
    }

    private static String sessionOf(ExtraOrchestrator o) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("unet session (\\S+) opened").matcher(o.logText());
        assertTrue(m.find(), "no session line in the extra orchestrator's log");
        return m.group(1);
    }
}
