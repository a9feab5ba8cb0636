package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The health check the CLI makes in its own JVM when the ./sd launcher skipped its own (SD_WAIT_SERVING): it
 * passes at once against a serving service, waits for one that is starting, and fails with UNAVAILABLE naming the
 * service, its address and its state when the service is not serving or not there.
 */
class EndpointAwaitServingTest {
    @Test
    void servingServicePassesAndTheChannelServesTheCall() throws Exception {
        try (FakeServices fake = new FakeServices()) {
            Endpoint e = new Endpoint("text-encoder-service", fake.target());
            ManagedChannel ch = e.open();
            try {
                e.awaitServing(ch, 5);
                assertEquals(HealthCommand.SERVING, HealthCommand.check(ch));
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void waitsForAServiceThatBecomesServing() throws Exception {
        try (FakeServices fake = new FakeServices()) {
            fake.health.setStatus("", ServingStatus.NOT_SERVING);
            Endpoint e = new Endpoint("orchestrator", fake.target());
            ManagedChannel ch = e.open();
            try {
                CompletableFuture<Void> later = CompletableFuture.runAsync(
                        () -> fake.health.setStatus("", ServingStatus.SERVING),
                        CompletableFuture.delayedExecutor(600, TimeUnit.MILLISECONDS));
                e.awaitServing(ch, 30);
                assertTrue(later.isDone(), "returned before the service served");
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void notServingFailsWithUnavailableNamingTheServiceAndState() throws Exception {
        try (FakeServices fake = new FakeServices()) {
            fake.health.setStatus("", ServingStatus.NOT_SERVING);
            Endpoint e = new Endpoint("orchestrator", fake.target());
            ManagedChannel ch = e.open();
            try {
                StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> e.awaitServing(ch, 0.5));
                assertEquals(Status.Code.UNAVAILABLE, ex.getStatus().getCode());
                String d = ex.getStatus().getDescription();
                assertTrue(d.startsWith("orchestrator at " + fake.target() + " is NOT_SERVING"), d);
                // explain() leaves the message as it is (no second "orchestrator at ..." prefix)
                assertEquals(d, e.explain(ex).getStatus().getDescription());
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void nothingListeningFailsWithUnreachable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Endpoint e = new Endpoint("text-encoder-service", "localhost:" + port);
        ManagedChannel ch = e.open();
        try {
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> e.awaitServing(ch, 0.5));
            assertEquals(Status.Code.UNAVAILABLE, ex.getStatus().getCode());
            assertTrue(ex.getStatus().getDescription().contains("is UNREACHABLE"), ex.getStatus().getDescription());
            assertTrue(ex.getStatus().getDescription().contains("./sd logs text-encoder-service"));
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void zeroSecondsChecksNothing() throws Exception {
        Endpoint e = new Endpoint("orchestrator", "localhost:1");
        ManagedChannel ch = e.open();
        try {
            e.awaitServing(ch, 0); // no server at port 1: returns without a call
        } finally {
            ch.shutdownNow();
        }
    }
}
