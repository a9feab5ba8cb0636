package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.Png;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole CLI (picocli main path, gRPC streaming, files written, errors, Ctrl-C) against {@link FakeServices}. */
class CliAgainstFakeServerTest {
    @TempDir
    Path tmp;
    FakeServices fake;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeServices();
    }

    @AfterEach
    void stop() throws Exception {
        fake.close();
    }

    @Test
    void txt2imageWritesTheGridTheLatentsAndTheProfile() throws Exception {
        Path png = tmp.resolve("sub/out.png");
        Path npy = tmp.resolve("final.npy");
        String[] r = CommandParsingTest.run("txt2image", "a prompt", "--orchestrator", fake.target(), "--n_images", "2",
                "--n_rows", "1", "--seed", "42", "--height", "64", "--width", "128", "--output", png.toString(),
                "--save-latents", npy.toString(), "--profile", "--cache_interval", "3", "--cache_layer_id", "0", "--no-uniform");
        assertEquals("0", r[0], r[1]);
        assertTrue(r[2].contains("Seed: 42"), r[2]);
        assertTrue(r[2].matches("(?s).*unet_full\\s+3\\s+30\\.0\\s+10\\.00.*"), "profile table in: " + r[2]);

        GenerateRequest sent = fake.lastRequest.get();
        assertEquals("a prompt", sent.getPrompt());
        assertEquals(2, sent.getNImages());
        assertEquals(42, sent.getSeed());
        assertEquals(3, sent.getDeepcache().getCacheInterval());
        assertEquals(2, sent.getDeepcache().getCacheBranchId());
        assertTrue(sent.getDeepcache().getNonUniform());
        assertTrue(sent.getReturnLatents());

        byte[] bytes = Files.readAllBytes(png);
        Png.Rgb grid = Png.decode(bytes, "out", 1 << 22);
        assertEquals(2 * (128 + 16), grid.width());
        assertEquals(64 + 16, grid.height());
        assertEquals(40, ImageGridTest.pixel(grid, 8, 8)[0]);
        assertEquals(80, ImageGridTest.pixel(grid, 144 + 8 + 127, 8 + 63)[0]);
        assertEquals(0, ImageGridTest.pixel(grid, 144, 40)[0]);
        assertEquals(Map.of("parameters", FakeServices.PARAMETERS), Png.readText(bytes));

        FloatTensor saved = Npy.read(npy, "--save-latents");
        assertArrayEquals(new long[] {2, 4, 8, 16}, saved.shape());
        FloatTensor expected = FloatTensor.concat0(List.of(FakeServices.latents(0, 64, 128), FakeServices.latents(1, 64, 128)));
        assertArrayEquals(expected.toArray(), saved.toArray());
    }

    @Test
    void image2imageSendsTheResizedImageAndStrength() throws Exception {
        Path in = tmp.resolve("in.png");
        Files.write(in, Png.encode(ImageGridTest.solid(70, 130, 9, 8, 7)));
        Path out = tmp.resolve("one.png");
        String[] r = CommandParsingTest.run("image2image", in.toString(), "p", "--orchestrator", fake.target(),
                "--n_images", "1", "--strength", "0.6", "--output", out.toString());
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("resizing it (nearest) to 64x128"), r[1]);
        GenerateRequest sent = fake.lastRequest.get();
        assertEquals(0.6, sent.getInitImage().getStrength());
        assertEquals(64, sent.getWidth());
        assertEquals(128, sent.getHeight());
        Png.Rgb init = Png.decode(sent.getInitImage().getEncodedImage().toByteArray(), "init", 1 << 20);
        assertEquals(64, init.width());
        assertEquals(128, init.height());
        assertEquals(9, ImageGridTest.pixel(init, 63, 127)[0]);
        Png.Rgb single = Png.decode(Files.readAllBytes(out), "out", 1 << 20);
        assertEquals(64, single.width(), "a single image is written unpadded");
        assertEquals(128, single.height());
    }

    @Test
    void serverErrorsPrintTheStatusAndExitNonZero() {
        fake.mode = FakeServices.Mode.FAIL;
        String[] r = CommandParsingTest.run("txt2image", "p", "--orchestrator", fake.target(), "--output", tmp.resolve("x.png").toString());
        assertEquals("1", r[0]);
        assertEquals("ERROR INVALID_ARGUMENT: steps: must be in 1..1000", r[1].strip());
        assertFalse(Files.exists(tmp.resolve("x.png")));
    }

    @Test
    void unreachableOrchestratorIsUnavailableWithItsAddress() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String[] r = CommandParsingTest.run("txt2image", "p", "--orchestrator", "localhost:" + closed, "--output", tmp.resolve("x.png").toString());
        assertEquals("1", r[0]);
        assertTrue(r[1].startsWith("ERROR UNAVAILABLE: orchestrator at localhost:" + closed), r[1]);
    }

    @Test
    void localFileErrorsUseGrpcStatusNames() {
        String[] r = CommandParsingTest.run("txt2image", "p", "--orchestrator", fake.target(), "--n_images", "1",
                "--latents", tmp.resolve("missing.npy").toString());
        assertEquals("1", r[0]);
        assertTrue(r[1].startsWith("ERROR NOT_FOUND: --latents: no such file"), r[1]);
    }

    @Test
    void tokenizePrintsOneJsonObject() throws Exception {
        String[] r = CommandParsingTest.run("tokenize", "a", "--text-encoder", fake.target());
        assertEquals("0", r[0], r[1]);
        JsonNode json = Json.MAPPER.readTree(r[2]);
        assertEquals(77, json.get("ids").size());
        assertEquals(49406, json.get("ids").get(0).asInt());
        assertEquals("a</w>", json.get("tokens").get(1).asText());
        assertFalse(json.get("truncated").asBoolean());
        assertEquals(0, json.get("dropped").asInt());
        assertEquals(1, r[2].strip().split("\n").length, "one line of JSON");
    }

    @Test
    void healthReportsEachPort() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String[] r = CommandParsingTest.run("health", String.valueOf(fake.port()));
        assertEquals("0", r[0], r[1]);
        assertEquals(fake.port() + " SERVING", r[2].strip());
        fake.health.setStatus("", ServingStatus.NOT_SERVING);
        r = CommandParsingTest.run("health", String.valueOf(fake.port()), String.valueOf(closed));
        assertEquals("1", r[0]);
        assertEquals(fake.port() + " NOT_SERVING\n" + closed + " UNREACHABLE", r[2].strip().replace("\r", ""));
    }

    /** Ctrl-C (SIGINT) and SIGTERM both run the JVM's shutdown hooks; the hook must cancel the server-side call. */
    @Test
    void terminatingTheCliCancelsTheGenerationOnTheServer() throws Exception {
        fake.mode = FakeServices.Mode.HANG;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SdCli.class.getName(),
                "txt2image", "p", "--orchestrator", fake.target(), "--n_images", "1", "--output", tmp.resolve("c.png").toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("cli.log").toFile()).start();
        try {
            assertTrue(fake.generateStarted.await(60, TimeUnit.SECONDS), "the CLI never called Generate: " + log());
            p.destroy(); // SIGTERM
            assertTrue(fake.cancelled.await(20, TimeUnit.SECONDS), "the server saw no cancellation: " + log());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertNotEquals(0, p.exitValue());
            // The connection closing would cancel the call too; the line shows the hook cancelled it first.
            assertTrue(log().contains("cancelling the generation on the server"), log());
        } finally {
            p.destroyForcibly();
        }
    }

    private String log() throws Exception {
        File f = tmp.resolve("cli.log").toFile();
        return f.exists() ? Files.readString(f.toPath()) : "";
    }
}
