package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml (validated by Compose v1 when installed; no engine is needed), the services'
 * Dockerfiles, and the ./sd launcher's syntax and help.
 */
class DeploymentFilesTest {
    static final List<String> SERVICES = List.of("orchestrator", "text-encoder-service", "unet-service", "vae-service");

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("docker-compose.yml"))) p = p.getParent();
        assertTrue(p != null, "docker-compose.yml not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    static String[] exec(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        return new String[] {String.valueOf(p.exitValue()), out};
    }

    @Test
    void composeFileIsValidForComposeV1() throws Exception {
        assumeTrue(onPath("docker-compose"),
                "skipped: docker-compose (v1) is not installed; `apt-get install -y docker-compose` to run this check");
        String[] r = exec(repoRoot(), "docker-compose", "-f", "docker-compose.yml", "config", "-q");
        assertEquals("0", r[0], "docker-compose config -q: " + r[1]);
        String[] services = exec(repoRoot(), "docker-compose", "-f", "docker-compose.yml", "config", "--services");
        assertEquals(List.of("jaeger", "orchestrator", "text-encoder", "unet", "vae"),
                services[1].strip().lines().sorted().toList());
    }

    @Test
    void everyServiceHasAJvmDockerfileBuildingItsQuarkusApp() throws Exception {
        String compose = Files.readString(repoRoot().resolve("docker-compose.yml"));
        for (String s : SERVICES) {
            Path dockerfile = repoRoot().resolve(s).resolve("src/main/docker/Dockerfile.jvm");
            assertTrue(Files.isRegularFile(dockerfile), dockerfile + " missing");
            String text = Files.readString(dockerfile);
            assertTrue(text.contains("COPY target/quarkus-app/lib/ /deployments/lib/"), dockerfile.toString());
            assertTrue(text.contains("quarkus-run.jar"), dockerfile.toString());
            assertTrue(compose.contains("context: ./" + s), "compose builds " + s);
        }
        assertTrue(compose.contains("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT: http://jaeger:4317"));
        assertTrue(compose.contains("SD_BIND_HOST: 0.0.0.0"));
    }

    @Test
    void composePublishesStagePortsOnLoopbackOnlyAndNamesTheRealDefaultModel() throws Exception {
        String compose = Files.readString(repoRoot().resolve("docker-compose.yml"));
        for (String port : List.of("50052", "50053", "50054", "8051", "8052", "8053", "8054")) {
            List<String> published = compose.lines().filter(l -> l.matches("\\s*- \"[0-9.:]*" + port + ":" + port + "\".*"))
                    .toList();
            assertEquals(1, published.size(), port + ": " + published);
            assertTrue(published.get(0).contains("\"127.0.0.1:" + port + ":" + port + "\""), published.get(0));
        }
        String sd = Files.readString(repoRoot().resolve("sd"));
        assertTrue(sd.contains("DEFAULT_MODEL=\"shapes-sd-tiny\""), "./sd names the committed default model");
        assertTrue(Files.isRegularFile(repoRoot().resolve("models/shapes-sd-tiny/model_index.json")));
        for (String text : List.of(compose, sd)) {
            assertTrue(!text.contains("sd15-tiny-forged"), "the forged default model no longer exists");
        }
        String props = Files.readString(repoRoot().resolve("orchestrator/src/main/resources/application.properties"));
        assertTrue(props.contains("sd.models.default-model=${SD_DEFAULT_MODEL:shapes-sd-tiny}"));
        for (String s : SERVICES) {
            String p = Files.readString(repoRoot().resolve(s).resolve("src/main/resources/application.properties"));
            assertTrue(!p.contains("/q/health"), s + ": no /q/health endpoint exists (health is grpc.health.v1)");
        }
    }

    /** CI without ../shared would skip every numeric test: .ci/run refuses to run. */
    @Test
    void ciRunFailsWithoutShared(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        assumeTrue(onPath("bash"), "skipped: no bash");
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve(".ci"));
        Files.copy(repoRoot().resolve(".ci/run"), repo.resolve(".ci/run"));
        String[] r = exec(repo, "bash", repo.resolve(".ci/run").toString());
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("../shared/models is missing"), r[1]);
    }

    @Test
    void launcherParsesAndPrintsItsHelp() throws Exception {
        assumeTrue(onPath("bash"), "skipped: no bash");
        Path sd = repoRoot().resolve("sd");
        assertTrue(Files.isExecutable(sd), "./sd must be executable");
        assertEquals("0", exec(repoRoot(), "bash", "-n", sd.toString())[0], "bash -n ./sd");
        String[] help = exec(repoRoot(), sd.toString(), "help");
        assertEquals("0", help[0], help[1]);
        for (String cmd : List.of("up", "down", "status", "txt2image", "image2image", "tokenize", "bench", "forge")) {
            assertTrue(help[1].contains("\n  " + cmd), cmd + " missing from ./sd help:\n" + help[1]);
        }
    }
}
