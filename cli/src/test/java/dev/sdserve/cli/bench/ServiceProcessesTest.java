package dev.sdserve.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the benchmark knows that the process on a port is the service it started. */
class ServiceProcessesTest {

    @Test
    void startUpWaitsForTheModulesOwnServiceNotForAnyServerOnThePort() throws Exception {
        // A server that serves the text encoder only, as another process that took unet-service's port would.
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus(ServiceProcesses.SERVICE.get("text-encoder-service"), ServingStatus.SERVING);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("localhost", 0))
                .addService(health.getHealthService()).build().start();
        int port = server.getPort();
        ManagedChannel ch = io.grpc.ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            assertTrue(ServiceProcesses.serving(ch, "text-encoder-service"));
            assertFalse(ServiceProcesses.serving(ch, "unet-service"), "a text encoder on the port is not unet-service");
            assertFalse(ServiceProcesses.serving(ch, "orchestrator"));
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        ManagedChannel nobody = io.grpc.ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            assertFalse(ServiceProcesses.serving(nobody, "text-encoder-service"), "nothing listening is not serving");
        } finally {
            nobody.shutdownNow();
        }
    }

    @Test
    void freePortsAreDistinct() throws Exception {
        List<String> modules = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        for (int round = 0; round < 20; round++) {
            Map<String, Integer> ports = ServiceProcesses.freePorts(modules);
            assertEquals(modules, List.copyOf(ports.keySet()));
            assertEquals(modules.size(), new HashSet<>(ports.values()).size(), "ports " + ports);
        }
    }

    @Test
    void aServiceThatCouldNotBindIsRecognisedFromItsLog(@TempDir Path dir) throws Exception {
        Path taken = dir.resolve("taken.log");
        Files.writeString(taken, "ERROR [io.qua.run.Application] Failed to start application\n"
                + "java.net.BindException: Address already in use\n");
        Path other = dir.resolve("other.log");
        Files.writeString(other, "ERROR model folder not found\n");
        assertTrue(ServiceProcesses.portWasTaken(taken));
        assertFalse(ServiceProcesses.portWasTaken(other));
        assertFalse(ServiceProcesses.portWasTaken(dir.resolve("missing.log")));
    }
}
