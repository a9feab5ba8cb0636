package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A service started on a gRPC port that another process holds exits with status 1 and says so, instead of
 * running without its gRPC server (Quarkus' separate gRPC server only logs the bind error). Each service is
 * started a second time on the port of the cluster's running instance: "started twice" is how users meet this.
 */
class PortTakenE2eTest {

    @Test
    void aServiceWhosePortIsTakenExitsWithAClearLogLine() throws Exception {
        ServiceCluster cluster = Cluster.get();
        for (ServiceCluster.Service s : ServiceCluster.Service.values()) {
            int port = cluster.port(s);
            Path log = Cluster.layout().workDir().resolve("port-taken-" + s.module + ".log");
            Files.deleteIfExists(log);
            long t0 = System.nanoTime();
            Process p = cluster.launchExtra(s, port, List.of(), log);
            try {
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), s.module + " still runs on a taken port; log:\n" + read(log));
                String text = read(log);
                assertEquals(1, p.exitValue(), s.module + " exit status; log:\n" + text);
                assertTrue(text.contains("gRPC server is not listening (port " + port), s.module + " log:\n" + text);
                Results.append(String.format(java.util.Locale.ROOT, "port taken: %s on %d exited with 1 after %.1f s",
                        s.module, port, (System.nanoTime() - t0) / 1e9));
            } finally {
                p.destroyForcibly();
            }
        }
        // the running instances were not disturbed
        for (ServiceCluster.Service s : ServiceCluster.Service.values()) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(cluster.channel(s))
                    .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus(),
                    s.module);
        }
    }

    private static String read(Path log) throws java.io.IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
