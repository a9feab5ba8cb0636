package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One generation, started by the real CLI with {@code --profile}, through the four services as processes with
 * tracing on, exporting to a real Zipkin server on a loopback port; the trace is then read back through
 * Zipkin's HTTP API. Checks: one trace holding the spans of all four services; every stage span a descendant
 * of {@code generate}; the {@code unet_step} spans, in step order, running the uniform DeepCache schedule with
 * cache hits on the shallow steps; and the profile table on the CLI's stdout with counts that match.
 * The services get their tracing settings from {@code config/application.properties} in their working folder.
 */
class TracingE2eTest {
    private static final int STEPS = 6;
    private static final int INTERVAL = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static Process zipkin;
    static ServiceCluster cluster;
    static String zipkinUrl;
    static Path workDir;

    @BeforeAll
    static void start() throws Exception {
        SharedFixtures.assume();
        ServiceCluster.Layout shared = Cluster.layout();
        Path jar = shared.projectDir().resolve("e2e/target/zipkin/zipkin-server.jar");
        assumeTrue(Files.isRegularFile(jar), "skipped: " + jar + " not fetched (the e2e build copies io.zipkin:"
                + "zipkin-server:3.4.3:exec from Maven Central unless -Dsd.skip.zipkin)");
        assumeTrue(ServiceCluster.missingJars(shared).isEmpty(), "skipped: services not built: "
                + ServiceCluster.missingJars(shared));
        assumeTrue(Files.isRegularFile(cliJar()), "skipped: " + cliJar() + " not built");
        workDir = shared.projectDir().resolve("e2e/target/e2e-tracing");
        Files.createDirectories(workDir.resolve("config"));
        int port = freePort();
        zipkinUrl = "http://127.0.0.1:" + port;
        zipkin = new ProcessBuilder(java(), "-Xmx384m", "-jar", jar.toString(), "--server.port=" + port)
                .directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("zipkin.log").toFile()).start();
        Files.writeString(workDir.resolve("config/application.properties"), String.join("\n",
                "quarkus.otel.sdk.disabled=false",
                "sd.tracing.exporter=zipkin",
                "sd.tracing.zipkin.endpoint=" + zipkinUrl + "/api/v2/spans",
                "quarkus.otel.bsp.schedule.delay=200ms", ""));
        awaitZipkin(); // first, so that no span (the health probes') is sent before it listens
        cluster = ServiceCluster.start(new ServiceCluster.Layout(shared.projectDir(), shared.modelsRoots(),
                shared.defaultModel(), workDir));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
        if (zipkin != null) zipkin.destroyForcibly();
    }

    @Test
    void oneGenerationIsOneTraceAcrossTheFourServices() throws Exception {
        Path stdout = workDir.resolve("sd.out");
        Path stderr = workDir.resolve("sd.err");
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", cliJar().toString(), "txt2image", "a red apple",
                "--model", "tiny-sd15", "--steps", String.valueOf(STEPS), "--scheduler", "ddim", "--n_images", "1",
                "--seed", "7", "--cache_interval", String.valueOf(INTERVAL), "--profile",
                "--output", workDir.resolve("apple.png").toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().put("SD_ORCHESTRATOR", "localhost:" + cluster.port(ServiceCluster.Service.ORCHESTRATOR));
        Process cli = pb.start();
        assertTrue(cli.waitFor(120, TimeUnit.SECONDS), "sd txt2image timed out");
        assertEquals(0, cli.exitValue(), Files.readString(stderr) + Files.readString(stdout));

        assertProfileTable(Files.readString(stdout, StandardCharsets.UTF_8));
        assertTraceShape(awaitTrace());
    }

    /** The --profile table on stdout: one row per stage with the counts this generation must have. */
    private static void assertProfileTable(String out) {
        Map<String, String[]> rows = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4) rows.put(f[0], f);
        }
        assertTrue(out.matches("(?s).*\\nstage\\s+calls\\s+total ms\\s+mean ms\\n.*"), "no profile table in:\n" + out);
        Map<String, Integer> counts = Map.of("text_encode", 1, "unet_full", STEPS / INTERVAL,
                "unet_shallow", STEPS - STEPS / INTERVAL, "scheduler", STEPS, "vae", 1, "grpc_overhead", STEPS, "total", 1);
        counts.forEach((stage, n) -> {
            String[] r = rows.get(stage);
            assertTrue(r != null, "no " + stage + " row in:\n" + out);
            assertEquals(n, Integer.parseInt(r[1]), stage + " calls in:\n" + out);
            double total = Double.parseDouble(r[2]);
            double mean = Double.parseDouble(r[3]);
            assertTrue(total >= 0 && Math.abs(total / n - mean) <= 0.06, stage + ": total " + total + ", mean " + mean);
        });
    }

    private static void assertTraceShape(List<JsonNode> spans) {
        assertEquals(1, spans.stream().map(s -> s.path("traceId").asText()).distinct().count(), "one trace id");
        Set<String> services = new TreeSet<>();
        spans.forEach(s -> services.add(s.path("localEndpoint").path("serviceName").asText()));
        assertEquals(Set.of("orchestrator", "text-encoder-service", "unet-service", "vae-service"), services);

        Map<String, JsonNode> byId = new HashMap<>();
        spans.forEach(s -> byId.put(s.path("id").asText(), s));
        JsonNode generate = only(spans, "generate");
        for (String stage : List.of("tokenize", "text_encode", "unet_step", "vae_decode")) {
            for (JsonNode s : named(spans, stage)) {
                assertTrue(descendsFrom(s, generate, byId), stage + " " + s.path("id") + " is not under generate");
            }
        }
        List<JsonNode> steps = new ArrayList<>(named(spans, "unet_step"));
        steps.sort(Comparator.comparingInt(s -> s.path("tags").path("sd.step").asInt()));
        assertEquals(STEPS, steps.size(), "unet_step spans");
        for (int i = 0; i < STEPS; i++) {
            JsonNode tags = steps.get(i).path("tags");
            boolean full = i % INTERVAL == 0; // the uniform schedule: a full step every INTERVAL steps
            assertEquals(String.valueOf(i), tags.path("sd.step").asText());
            assertEquals(full ? "FULL" : "SHALLOW", tags.path("sd.mode").asText(), "step " + i);
            assertEquals(String.valueOf(!full), tags.path("sd.cache_hit").asText(), "step " + i);
            assertEquals("2", tags.path("sd.batch").asText(), "CFG batch");
            assertEquals("tiny-sd15", tags.path("sd.model").asText());
            assertEquals("cpu", tags.path("sd.ep").asText());
        }
    }

    /** Polls Zipkin (the services export in batches) until the generation's trace holds every stage span. */
    private static List<JsonNode> awaitTrace() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        List<JsonNode> spans = List.of();
        while (System.currentTimeMillis() < deadline) {
            JsonNode traces = get("/api/v2/traces?serviceName=orchestrator&spanName=generate&lookback=3600000&limit=10");
            assertTrue(traces.size() <= 1, "one generation, one trace: " + traces);
            if (traces.size() == 1) {
                spans = StreamSupport.stream(traces.get(0).spliterator(), false).toList();
                if (named(spans, "unet_step").size() == STEPS && !named(spans, "vae_decode").isEmpty()
                        && !named(spans, "tokenize").isEmpty() && !named(spans, "generate").isEmpty()) {
                    return spans;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("trace incomplete in Zipkin after 30 s: " + spans + "; services " + get("/api/v2/services"));
    }

    private static List<JsonNode> named(List<JsonNode> spans, String name) {
        return spans.stream().filter(s -> s.path("name").asText().equals(name)).toList();
    }

    private static JsonNode only(List<JsonNode> spans, String name) {
        List<JsonNode> found = named(spans, name);
        assertEquals(1, found.size(), "spans named " + name);
        return found.get(0);
    }

    private static boolean descendsFrom(JsonNode span, JsonNode ancestor, Map<String, JsonNode> byId) {
        String target = ancestor.path("id").asText();
        for (JsonNode s = byId.get(span.path("parentId").asText()); s != null; s = byId.get(s.path("parentId").asText())) {
            if (s.path("id").asText().equals(target)) return true;
        }
        return false;
    }

    private static JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(zipkinUrl + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static void awaitZipkin() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            assertTrue(zipkin.isAlive(), "zipkin exited; see " + workDir.resolve("zipkin.log"));
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(zipkinUrl + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("zipkin not up after 60 s; see " + workDir.resolve("zipkin.log"));
    }

    private static Path cliJar() {
        return Cluster.layout().projectDir().resolve("cli/target/sdserve-cli.jar");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
