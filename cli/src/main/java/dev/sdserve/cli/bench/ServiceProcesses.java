package dev.sdserve.cli.bench;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.SdException;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The four services as child processes on free ports, started from their {@code quarkus-run.jar} with the
 * benchmark's models roots, graph cache and ONNX Runtime threads, so that the split run sees exactly the
 * in-process run's settings. Logs go to {@code <workDir>/<module>.log}. Closing (or the JVM exiting) stops them.
 */
final class ServiceProcesses implements AutoCloseable {
    static final List<String> STAGES = List.of("text-encoder-service", "unet-service", "vae-service");
    static final String ORCHESTRATOR = "orchestrator";
    /**
     * The gRPC service each module serves. Start-up waits for this name to be SERVING, not just for something on the
     * port: a health check of "" would also be answered by another process that took the port.
     */
    static final Map<String, String> SERVICE = Map.of(
            "text-encoder-service", TextEncoderGrpc.SERVICE_NAME,
            "unet-service", DenoiserGrpc.SERVICE_NAME,
            "vae-service", VaeGrpc.SERVICE_NAME,
            ORCHESTRATOR, ImageGenerationGrpc.SERVICE_NAME);
    private static final long START_TIMEOUT_MS = 300_000;
    private static final int BIND_ATTEMPTS = 3;

    private final BenchSettings settings;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Thread hook = new Thread(this::stopAll, "bench-services-shutdown");

    private ServiceProcesses(BenchSettings settings) {
        this.settings = settings;
    }

    /** The jar of a service module, which must have been packaged. */
    static Path jar(Path projectDir, String module) {
        return projectDir.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** The modules whose jar is missing. */
    static List<String> missing(Path projectDir) {
        List<String> out = new ArrayList<>();
        for (String m : all()) if (!Files.isRegularFile(jar(projectDir, m))) out.add(m);
        return out;
    }

    /** Starts the three stages, then the orchestrator pointed at them; returns when all four are SERVING. */
    static ServiceProcesses start(BenchSettings settings) {
        List<String> missing = missing(settings.projectDir());
        SdException.require(missing.isEmpty(), "the split run needs the services built (mvn -DskipTests install -pl "
                + String.join(",", missing) + "); missing under " + settings.projectDir() + ", or pass --no-split");
        ServiceProcesses s = new ServiceProcesses(settings);
        Runtime.getRuntime().addShutdownHook(s.hook);
        try {
            Files.createDirectories(settings.workDir());
            s.ports.putAll(freePorts(all()));
            for (String m : STAGES) s.launch(m);
            for (String m : STAGES) s.awaitServingOrRelaunch(m);
            s.launch(ORCHESTRATOR);
            s.awaitServingOrRelaunch(ORCHESTRATOR);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e instanceof RuntimeException r ? r : new SdException(SdException.Kind.UNAVAILABLE,
                    "cannot start the services: " + e.getMessage(), e);
        }
    }

    int port(String module) {
        return ports.get(module);
    }

    /** Each running service's peak resident memory so far (VmHWM), in bytes; -1 where the OS does not say. */
    Map<String, Long> peakRss() {
        Map<String, Long> out = new LinkedHashMap<>();
        processes.forEach((module, p) -> out.put(module, Machine.peakRss(p.pid())));
        return out;
    }

    private void launch(String module) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.grpc.server.port=" + port(module), "-Dquarkus.http.port=0",
                "-Dsd.models.roots=" + roots(),
                "-Dsd.models.default-model=" + settings.model().name(),
                "-Dsd.runtime.intra-op-threads=" + settings.runtime().intraOpThreads(),
                "-Dsd.runtime.optimization-level=" + settings.runtime().optimizationLevel(),
                "-Dsd.runtime.allow-spinning=" + settings.runtime().allowSpinning(),
                "-Dsd.runtime.execution-provider=" + settings.runtime().executionProvider().id(),
                "-Dsd.unet.graph-cache-dir=" + settings.graphCacheDir()));
        if (module.equals(ORCHESTRATOR)) {
            for (String stage : STAGES) {
                String client = stage.replace("-service", "");
                cmd.add("-Dquarkus.grpc.clients." + client + ".host=localhost");
                cmd.add("-Dquarkus.grpc.clients." + client + ".port=" + port(stage));
            }
        }
        cmd.addAll(List.of("-jar", jar(settings.projectDir(), module).toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(settings.workDir().toFile()).redirectErrorStream(true)
                .redirectOutput(log(module).toFile());
        pb.environment().put("SD_MODELS_DIR", roots()); // the variable overrides config; make both agree
        processes.put(module, pb.start());
    }

    private String roots() {
        return settings.roots().roots().stream().map(Path::toString).collect(Collectors.joining(":"));
    }

    private Path log(String module) {
        return settings.workDir().resolve(module + ".log");
    }

    /**
     * Waits for the module; when it exited because its port was taken meanwhile (a free port is only free until
     * someone binds it), starts it again on a new port, up to {@link #BIND_ATTEMPTS} times.
     */
    private void awaitServingOrRelaunch(String module) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                awaitServing(module);
                return;
            } catch (SdException e) {
                if (attempt >= BIND_ATTEMPTS || processes.get(module).isAlive() || !portWasTaken(log(module))) throw e;
                ports.put(module, freePorts(List.of(module)).get(module));
                launch(module);
            }
        }
    }

    /** Whether a service log shows that it could not bind its port. */
    static boolean portWasTaken(Path log) {
        try {
            String text = Files.readString(log);
            return text.contains("Address already in use") || text.contains("BindException");
        } catch (IOException e) {
            return false;
        }
    }

    private void awaitServing(String module) {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port(module)).usePlaintext().build();
        try {
            while (System.currentTimeMillis() < deadline) {
                if (!processes.get(module).isAlive()) {
                    throw new SdException(SdException.Kind.UNAVAILABLE, module + " exited during startup; see " + log(module));
                }
                if (serving(ch, module)) return;
                sleep();
            }
            throw new SdException(SdException.Kind.UNAVAILABLE, module + " not SERVING after " + START_TIMEOUT_MS
                    + " ms; see " + log(module));
        } finally {
            ch.shutdownNow();
        }
    }

    /** Whether the server behind {@code ch} reports the module's own service as SERVING (false while not listening). */
    static boolean serving(ManagedChannel ch, String module) {
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(SERVICE.get(module)).build())
                    .getStatus() == ServingStatus.SERVING;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private static List<String> all() {
        List<String> out = new ArrayList<>(STAGES);
        out.add(ORCHESTRATOR);
        return out;
    }

    /**
     * One free port per module, all different: every probe socket stays open until all are chosen (a port closed
     * at once may be handed out again by the next probe).
     */
    static Map<String, Integer> freePorts(List<String> modules) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (String m : modules) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                out.put(m, s.getLocalPort());
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        return out;
    }

    private static void sleep() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdException(SdException.Kind.CANCELLED, "interrupted while starting the services");
        }
    }

    /** Stops the orchestrator first, then the stages: SIGTERM, then SIGKILL after 10 s. */
    private synchronized void stopAll() {
        List<Process> order = new ArrayList<>(processes.values());
        java.util.Collections.reverse(order);
        for (Process p : order) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs already
        }
    }
}
