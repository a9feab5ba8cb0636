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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The four services as real processes on free ports: text-encoder, unet and vae first, then the orchestrator
 * pointed at them. Each runs {@code java -jar <module>/target/quarkus-app/quarkus-run.jar}; its output goes to
 * {@code <workDir>/<module>.log} ({@code <module>-<i>.log} for replica i > 0). A {@link Topology} may ask for
 * several replicas of a stage (the orchestrator then gets them all as a static list) and for spare unet ports
 * the orchestrator knows before anything listens there. {@link #start} returns once every replica's
 * grpc.health.v1 says SERVING. {@link #close} (or a JVM shutdown hook, if the test run dies) kills them all.
 * Methods without a replica index mean replica 0.
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

    /**
     * Where things are: the project root (holding the modules), the models roots (searched in order), a
     * scratch folder for logs.
     */
    public record Layout(Path projectDir, List<Path> modelsRoots, String defaultModel, Path workDir) {
        Path jar(Service s) {
            return projectDir.resolve(s.module).resolve("target/quarkus-app/quarkus-run.jar");
        }
    }

    /**
     * How many processes of each stage, unet ports the orchestrator lists although nothing is started there
     * (a test starts a replica there later), and extra {@code -D} flags for the orchestrator.
     */
    public record Topology(Map<Service, Integer> replicas, List<Integer> spareUnetPorts, List<String> orchestratorArgs) {
        /** One process per service, as a user's first `./sd up`. */
        public static final Topology SINGLE = new Topology(Map.of(), List.of(), List.of());

        int replicas(Service s) {
            return s == Service.ORCHESTRATOR ? 1 : replicas.getOrDefault(s, 1);
        }
    }

    /** One process: a service and its replica index. */
    private record Member(Service service, int replica) {
    }

    private final Layout layout;
    private final Topology topology;
    private final Map<Member, Process> processes = new ConcurrentHashMap<>();
    private final Map<Member, Integer> ports = new ConcurrentHashMap<>();
    private final Map<Service, ManagedChannel> channels = new EnumMap<>(Service.class);
    private final Thread shutdownHook = new Thread(this::killAll, "service-cluster-shutdown");

    private ServiceCluster(Layout layout, Topology topology) {
        this.layout = layout;
        this.topology = topology;
    }

    /** The services whose quarkus-run.jar is missing (not built yet). */
    public static List<Service> missingJars(Layout layout) {
        List<Service> out = new ArrayList<>();
        for (Service s : Service.values()) if (!Files.isRegularFile(layout.jar(s))) out.add(s);
        return out;
    }

    /** Starts all four services and waits until each is SERVING; on failure, kills what started and throws. */
    public static ServiceCluster start(Layout layout) {
        return start(layout, Topology.SINGLE);
    }

    /** Starts every replica of {@code topology} and waits until each is SERVING. */
    public static ServiceCluster start(Layout layout, Topology topology) {
        ServiceCluster c = new ServiceCluster(layout, topology);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            Files.createDirectories(layout.workDir());
            List<Member> stages = new ArrayList<>();
            for (Service s : List.of(Service.TEXT_ENCODER, Service.UNET, Service.VAE)) {
                for (int i = 0; i < topology.replicas(s); i++) stages.add(new Member(s, i));
            }
            Member orchestrator = new Member(Service.ORCHESTRATOR, 0);
            for (Member m : stages) Files.deleteIfExists(c.log(m)); // a restart appends; a new cluster starts afresh
            Files.deleteIfExists(c.log(orchestrator));
            for (Member m : stages) c.ports.put(m, freePort());
            c.ports.put(orchestrator, freePort());
            for (Member m : stages) c.launch(m);
            for (Member m : stages) c.awaitServing(m);
            c.launch(orchestrator);
            c.awaitServing(orchestrator);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public int port(Service s) {
        return port(s, 0);
    }

    public int port(Service s, int replica) {
        return ports.get(new Member(s, replica));
    }

    /** The processes of {@code s} this cluster started. */
    public int replicas(Service s) {
        return topology.replicas(s);
    }

    /** A plaintext channel to the service (shut down by {@link #close}). */
    public synchronized ManagedChannel channel(Service s) {
        return channels.computeIfAbsent(s, k -> ManagedChannelBuilder.forAddress("localhost", port(k)).usePlaintext()
                .maxInboundMessageSize(64 << 20).build());
    }

    public Path log(Service s) {
        return log(new Member(s, 0));
    }

    private Path log(Member m) {
        return layout.workDir().resolve(m.service().module + (m.replica() == 0 ? "" : "-" + m.replica()) + ".log");
    }

    /** The service's output so far. */
    public String logText(Service s) {
        return logText(s, 0);
    }

    /** A replica's output so far. */
    public String logText(Service s, int replica) {
        try {
            return Files.readString(log(new Member(s, replica)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills one service at once (SIGKILL), e.g. to test how the others react. */
    public void kill(Service s) {
        kill(s, 0);
    }

    /** Kills one replica at once (SIGKILL); returns once the process is gone. */
    public void kill(Service s, int replica) {
        Process p = processes.remove(new Member(s, replica));
        if (p != null) {
            p.destroyForcibly();
            waitFor(p);
        }
    }

    /** The service's process id (for jcmd and /proc). */
    public long pid(Service s) {
        return pid(s, 0);
    }

    public long pid(Service s, int replica) {
        return processes.get(new Member(s, replica)).pid();
    }

    /** A replica's process (null once killed). */
    public Process process(Service s, int replica) {
        return processes.get(new Member(s, replica));
    }

    /** Starts a killed service again on the same port and waits until it is SERVING. */
    public void restart(Service s) {
        restart(s, 0);
    }

    /** Starts a killed (or exited) replica again on its port and waits until it is SERVING. */
    public void restart(Service s, int replica) {
        Member m = new Member(s, replica);
        kill(s, replica);
        launch(m);
        awaitServing(m);
    }

    private void launch(Member m) {
        processes.put(m, start(command(m.service(), port(m.service(), m.replica()), List.of()), log(m)));
    }

    /**
     * Starts one more instance of {@code s} (e.g. an orchestrator with TLS, or one to shut down) on {@code port}
     * with the cluster's settings plus {@code extraArgs} ({@code -Dkey=value}), logging to {@code log}. The
     * caller owns the process; {@link #awaitServing(int, Process, Path, String)} waits for it.
     */
    public Process launchExtra(Service s, int port, List<String> extraArgs, Path log) {
        return start(command(s, port, extraArgs), log);
    }

    private Process start(List<String> cmd, Path log) {
        try {
            return new ProcessBuilder(cmd).directory(layout.workDir().toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
    }

    private List<String> command(Service s, int port, List<String> extraArgs) {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx1g",
                "-Dquarkus.grpc.server.port=" + port,
                "-Dquarkus.http.port=0",
                "-Dsd.models.roots=" + String.join(",", layout.modelsRoots().stream().map(Path::toString).toList()),
                "-Dsd.models.default-model=" + layout.defaultModel(),
                "-Dsd.unet.graph-cache-dir=" + layout.workDir().resolve("unet-graphs")));
        if (s == Service.UNET) {
            // the load test reads the feature store's counters from these debug lines (logged at each session open)
            cmd.add("-Dquarkus.log.category.\"dev.sdserve.unet.DenoiseSessions\".level=DEBUG");
        }
        if (s == Service.ORCHESTRATOR) {
            // the cancel test reads the UNet session ids from these debug lines
            cmd.add("-Dquarkus.log.category.\"dev.sdserve.orchestrator.client\".level=DEBUG");
            for (Service stage : List.of(Service.TEXT_ENCODER, Service.UNET, Service.VAE)) {
                List<Integer> replicaPorts = new ArrayList<>();
                for (int i = 0; i < topology.replicas(stage); i++) replicaPorts.add(port(stage, i));
                if (stage == Service.UNET) replicaPorts.addAll(topology.spareUnetPorts());
                if (replicaPorts.size() == 1) { // as a single-replica user configures it
                    cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".host=localhost");
                } else {
                    cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".name-resolver=static");
                    cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".host=" + String.join(",",
                            replicaPorts.stream().map(p -> "localhost:" + p).toList()));
                }
                cmd.add("-Dquarkus.grpc.clients." + stage.clientName + ".port=" + port(stage));
            }
            cmd.addAll(topology.orchestratorArgs());
        }
        cmd.addAll(extraArgs);
        cmd.addAll(List.of("-jar", layout.jar(s).toString()));
        return cmd;
    }

    private void awaitServing(Member m) {
        awaitServing(port(m.service(), m.replica()), processes.get(m), log(m), m.service().module
                + (m.replica() == 0 ? "" : " replica " + m.replica()));
    }

    /** Waits until the process listening on {@code port} answers SERVING (plaintext); throws if it exits first. */
    public static void awaitServing(int port, Process p, Path log, String name) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            awaitServing(ch, p, log, name);
        } finally {
            ch.shutdownNow();
        }
    }

    /** Waits until {@code ch} answers SERVING; throws if the process exits first. */
    public static void awaitServing(ManagedChannel ch, Process p, Path log, String name) {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException(name + " exited during startup; log " + log + ":\n" + tail(log));
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
        throw new IllegalStateException(name + " not SERVING after " + START_TIMEOUT_MS + " ms; log:\n" + tail(log));
    }

    private static String tail(Path log) {
        String text;
        try {
            text = Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            text = "";
        }
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

    static int freePort() throws IOException {
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
