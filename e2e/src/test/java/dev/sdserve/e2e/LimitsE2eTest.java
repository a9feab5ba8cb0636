package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's admission limits, the maximum request size, and that every service listens on the
 * loopback interface only unless configured otherwise.
 */
class LimitsE2eTest {

    @Test
    void twoGenerationsRunEightWaitAndTheRestAreResourceExhausted() throws Exception {
        ServiceCluster cluster = Cluster.get(); // sd.orchestrator.max-concurrent=2, queue-size=8 (the defaults)
        List<RunningGeneration> all = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                all.add(RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), FaultsE2eTest.longRun(), 0));
            }
            List<RunningGeneration> rejected = new ArrayList<>();
            long until = System.currentTimeMillis() + 30_000;
            while (rejected.size() < 2 && System.currentTimeMillis() < until) {
                rejected.clear();
                for (RunningGeneration g : all) if (g.ended()) rejected.add(g);
                Thread.sleep(20);
            }
            assertEquals(2, rejected.size(), "12 generations: 2 run, 8 wait, 2 are refused");
            for (RunningGeneration g : rejected) {
                Status s = g.awaitEnd(0);
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
                assertTrue(s.getDescription().contains("sd.orchestrator.queue-size=8"), s.getDescription());
            }
            long stepUntil = System.currentTimeMillis() + 60_000;
            while (all.stream().filter(g -> g.progress() > 0).count() < 2 && System.currentTimeMillis() < stepUntil) {
                Thread.sleep(20);
            }
            Thread.sleep(500); // a queued generation would have started stepping by now if the limit leaked
            long stepping = all.stream().filter(g -> g.progress() > 0).count();
            long waiting = all.stream().filter(g -> !g.ended() && g.progress() == 0).count();
            Results.append("limits: 12 generations at once: " + rejected.size() + " RESOURCE_EXHAUSTED, " + stepping
                    + " stepping, " + waiting + " queued");
            assertEquals(2, stepping, "exactly max-concurrent generations step");
            assertEquals(8, waiting, "queue-size generations wait");
        } finally {
            all.forEach(RunningGeneration::cancel);
        }
        // cancelled waiters leave the queue (cancellation reaches the server asynchronously, so allow it a moment):
        // a new generation gets through
        long until = System.currentTimeMillis() + 15_000;
        while (true) {
            try {
                assertNotNull(Generations.run(cluster, FaultsE2eTest.shortRun(3)).result());
                break;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED || System.currentTimeMillis() > until) throw e;
                Thread.sleep(200);
            }
        }
    }

    @Test
    void aRequestOverTheMaximumMessageSizeIsResourceExhausted() {
        ServiceCluster cluster = Cluster.get(); // quarkus.grpc.server.max-inbound-message-size = 64 MiB
        String huge = "x".repeat((64 << 20) + 1024);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ImageGenerationGrpc
                .newBlockingStub(cluster.channel(ServiceCluster.Service.ORCHESTRATOR)).withDeadlineAfter(60, TimeUnit.SECONDS)
                .generate(GenerateRequest.newBuilder().setPrompt(huge).build()).forEachRemaining(x -> { }));
        Results.append("limits: a 64 MiB + 1 KiB request: " + e.getStatus());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        // the server is fine afterwards
        assertTrue(ImageGenerationGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.ORCHESTRATOR))
                .listModels(ListModelsRequest.getDefaultInstance()).getModelsCount() > 0);
    }

    @Test
    void everyServiceListensOnLoopbackOnly() throws Exception {
        ServiceCluster cluster = Cluster.get();
        List<InetAddress> external = nonLoopbackAddresses();
        for (ServiceCluster.Service s : ServiceCluster.Service.values()) {
            // the default, in the service's own config: SD_BIND_HOST unset means 127.0.0.1
            String props = Files.readString(Cluster.layout().projectDir().resolve(s.module)
                    .resolve("src/main/resources/application.properties"));
            assertTrue(props.contains("quarkus.grpc.server.host=${SD_BIND_HOST:127.0.0.1}"), s.module);
            assertTrue(props.contains("quarkus.http.host=${SD_BIND_HOST:127.0.0.1}"), s.module);
            int port = cluster.port(s);
            assertTrue(connects(InetAddress.getLoopbackAddress(), port), s.module + " is not listening at all");
            for (InetAddress a : external) {
                assertTrue(!connects(a, port), s.module + " answers on " + a.getHostAddress() + ":" + port);
            }
        }
        Results.append("limits: services refuse connections on " + (external.isEmpty()
                ? "(no non-loopback address on this machine; only the configured default was checked)"
                : external.stream().map(InetAddress::getHostAddress).toList()));
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) out.add(a);
            }
        }
        return out;
    }

    private static boolean connects(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    static Path scratch(String name) throws IOException {
        return Files.createDirectories(Cluster.layout().workDir().resolve(name));
    }
}
