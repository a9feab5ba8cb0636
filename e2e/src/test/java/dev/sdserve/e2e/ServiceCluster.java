package dev.sdserve.e2e;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The four services as real processes on free ports: text-encoder, unet and vae first, then the orchestrator
 * pointed at them. Each runs {@code java -jar <module>/target/quarkus-app/quarkus-run.jar}; its output goes to
 * {@code <workDir>/<module>.log}. {@link #start} returns once every service's grpc.health.v1 says SERVING.
 * {@link #close} (or a JVM shutdown hook, if the test run dies) kills them all.
 */
public final class ServiceCluster implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 180_000;

    /** The services, with their module folder and gRPC client name in the orchestrator's config. */
    public enum Service {
        TEXT_ENCODER("text-encoder-service", "text-encoder"),
        UNET("unet-service", "unet"),
        VAE("vae-service", "vae"),
        ORCHESTRATOR("orchestrator", null);

        public final String module;
        final String clientName;

        Service(String module, String clientName) {
            this.module = module;
            this.clientName = clientName;
        }
    }

    /** Where things are: the project root (holding the modules), the models root, a scratch folder for logs. */
    public record Layout(Path projectDir, Path modelsRoot, String defaultModel, Path workDir) {
        Path jar(Service s) {
            return projectDir.resolve(s.module).resolve("target/quarkus-app/quarkus-run.jar");
        }
    }

    private final Layout layout;
    private final Map<Service, Process> processes = new EnumMap<>(Service.class);
    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final Map<Service, ManagedChannel> channels = new EnumMap<>(Service.class);
    private final Thread shutdownHook = new Thread(this::killAll, "service-cluster-shutdown");

    private ServiceCluster(Layout layout) {
        this.layout = layout;
    }

    /** The services whose quarkus-run.jar is missing (not built yet). */
    public static List<Service> missingJars(Layout layout) {
        List<Service> out = new ArrayList<>();
        for (Service s : Service.values()) if (!Files.isRegularFile(layout.jar(s))) out.add(s);
        return out;
    }

    /** Starts all four services and waits until each is SERVING; on failure, kills what started and throws. */
    public static ServiceCluster start(Layout layout) {
        ServiceCluster c = new ServiceCluster(layout);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            Files.createDirectories(layout.workDir());
            for (Service s : Service.values()) Files.deleteIfExists(c.log(s)); // a restart appends; a new cluster starts afresh
            for (Service s : Service.values()) c.ports.put(s, freePort());
            for (Service s : List.of(Service.TEXT_ENCODER, Service.UNET, Service.VAE)) c.launch(s);
            for (Service s : List.of(Service.TEXT_ENCODER, Service.UNET, Service.VAE)) c.awaitServing(s);
            c.launch(Service.ORCHESTRATOR);
            c.awaitServing(Service.ORCHESTRATOR);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public int port(Service s) {
        return ports.get(s);
    }

    /** A plaintext channel to the service (shut down by {@link #close}). */
    public synchronized ManagedChannel channel(Service s) {
        return channels.computeIfAbsent(s, k -> ManagedChannelBuilder.forAddress("localhost", port(k)).usePlaintext()
                .maxInboundMessageSize(64 << 20).build());
    }

    public Path log(Service s) {
        return layout.workDir().resolve(s.module + ".log");
    }

    /** The service's output so far. */
    public String logText(Service s) {
        try {
            return Files.readString(log(s), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills one service at once (SIGKILL), e.g. to test how the others react. */
    public void kill(Service s) {
        Process p = processes.remove(s);
        if (p != null) {
            p.destroyForcibly();
            waitFor(p);
        }
    }

    /** Starts a killed service again on the same port and waits until it is SERVING. */
    public void restart(Service s) {
        kill(s);
        launch(s);
        awaitServing(s);
    }

    private void launch(Service s) {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx1g",
                "-Dquarkus.grpc.server.port=" + port(s),
                "-Dquarkus.http.port=0",
                "-Dsd.models.roots=" + layout.modelsRoot(),
                "-Dsd.models.default-model=" + layout.defaultModel(),
                "-Dsd.unet.graph-cache-dir=" + layout.workDir().resolve("unet-graphs")));
        if (s == Service.ORCHESTRATOR) {
            // the cancel test reads the UNet session ids from these debug lines
            cmd.add("-Dquarkus.log.category.\"dev.sdserve.orchestrator.client\".level=DEBUG");
            for (Service stage : List.of(Service.TEXT_ENCODER, Service.UNET, Service.VAE)) {
                cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".host=localhost");
                cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".port=" + port(stage));
            }
        }
        cmd.addAll(List.of("-jar", layout.jar(s).toString()));
        try {
            Process p = new ProcessBuilder(cmd).directory(layout.workDir().toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log(s).toFile())).start();
            processes.put(s, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + s.module, e);
        }
    }

    private void awaitServing(Service s) {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port(s)).usePlaintext().build();
        try {
            while (System.currentTimeMillis() < deadline) {
                Process p = processes.get(s);
                if (p == null || !p.isAlive()) {
                    throw new IllegalStateException(s.module + " exited during startup; log " + log(s) + ":\n" + tail(s));
                }
                try {
                    HealthCheckResponse r = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance());
                    if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) return;
                } catch (RuntimeException notYet) {
                    // not listening yet
                }
                sleep(200);
            }
            throw new IllegalStateException(s.module + " not SERVING after " + START_TIMEOUT_MS + " ms; log:\n" + tail(s));
        } finally {
            ch.shutdownNow();
        }
    }

    private String tail(Service s) {
        String text = logText(s);
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private synchronized void killAll() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
        for (Process p : processes.values()) p.destroy();
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
