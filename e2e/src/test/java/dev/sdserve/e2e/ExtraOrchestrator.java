package dev.sdserve.e2e;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second orchestrator beside the shared cluster, on its own port and with its own settings (TLS, a short
 * drain), talking to the cluster's stages. Tests shut it down (SIGTERM) or close it.
 */
final class ExtraOrchestrator implements AutoCloseable {
    final int port;
    final Process process;
    final Path log;

    private ExtraOrchestrator(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** Starts it with {@code extraArgs}; {@code serving} is the channel used to wait until it is SERVING. */
    static ExtraOrchestrator start(ServiceCluster cluster, String name, List<String> extraArgs) throws IOException {
        int port = ServiceCluster.freePort();
        Path log = Cluster.layout().workDir().resolve(name + ".log");
        Files.deleteIfExists(log);
        Process p = cluster.launchExtra(ServiceCluster.Service.ORCHESTRATOR, port, extraArgs, log);
        return new ExtraOrchestrator(port, p, log);
    }

    /** Waits until it answers SERVING on a plaintext channel. */
    ExtraOrchestrator awaitServing() {
        ServiceCluster.awaitServing(port, process, log, "extra orchestrator");
        return this;
    }

    ManagedChannel plaintextChannel() {
        return ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
    }

    /** SIGTERM, as a container stop sends it; returns the ms until the process exited (fails after {@code maxMs}). */
    long terminate(long maxMs) throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(maxMs, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the orchestrator did not exit within " + maxMs + " ms of SIGTERM; log:\n" + logText());
        }
        return (System.nanoTime() - start) / 1_000_000L;
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
