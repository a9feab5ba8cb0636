package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.cli.Npy;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ImageDiff;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code sd} CLI ({@code java -jar cli/target/sdserve-cli.jar}) against the four services running as
 * processes on tiny-sd15: the grid PNG's size, layout and {@code parameters} text, and {@code --latents} +
 * {@code --save-latents} reproducing a fixture case's final latents.
 */
class CliEndToEndTest {
    static final long CLI_TIMEOUT_S = 300;

    @TempDir
    static Path tmp;
    static ServiceCluster cluster;
    static Path cliJar;

    @BeforeAll
    static void services() {
        cluster = Cluster.get(); // shared with the other e2e tests; skips when ../shared or a service jar is missing
        cliJar = Cluster.layout().projectDir().resolve("cli/target/sdserve-cli.jar");
        assumeTrue(Files.isRegularFile(cliJar), "skipped: " + cliJar + " not built; run mvn package -pl cli first");
    }

    /** Runs the CLI jar against the cluster's orchestrator and text encoder; returns exit code and output. */
    static CliRun sd(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", cliJar.toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(tmp, "sd", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SD_ORCHESTRATOR", "localhost:" + cluster.port(ServiceCluster.Service.ORCHESTRATOR));
        pb.environment().put("SD_TEXT_ENCODER", "localhost:" + cluster.port(ServiceCluster.Service.TEXT_ENCODER));
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(CLI_TIMEOUT_S, TimeUnit.SECONDS), "sd " + String.join(" ", args) + " timed out: "
                    + Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
        return new CliRun(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    record CliRun(int exitCode, String output) {
    }

    @Test
    void txt2imageWritesAPaddedGridWithItsParameters() throws Exception {
        Path png = tmp.resolve("grid.png");
        String prompt = "A photo of an astronaut riding a horse on Mars.";
        CliRun r = sd("txt2image", prompt, "--model", "tiny-sd15", "--steps", "5", "--n_images", "2", "--n_rows", "1",
                "--seed", "42", "--cache_interval", "3", "--negative_prompt", "blurry, low quality", "--output", png.toString());
        assertEquals(0, r.exitCode(), r.output() + "\norchestrator log:\n" + cluster.logText(ServiceCluster.Service.ORCHESTRATOR));
        assertTrue(r.output().contains("Seed: 42"), r.output());

        byte[] bytes = Files.readAllBytes(png);
        Png.Rgb grid = Png.decode(bytes, "grid", 1 << 22);
        // tiny-sd15's native size is 256x256: two tiles of 256 + 2*8 padding side by side, one row.
        assertEquals(2 * (256 + 16), grid.width());
        assertEquals(256 + 16, grid.height());
        assertPaddingIsBlack(grid, 2, 256);
        assertTrue(tileIsNotBlank(grid, 8, 8, 256) && tileIsNotBlank(grid, 272 + 8, 8, 256), "both tiles hold images");

        String parameters = Png.readText(bytes).get("parameters");
        assertTrue(parameters != null, "no parameters tEXt chunk in " + Png.readText(bytes));
        String[] lines = parameters.split("\n");
        assertEquals(3, lines.length, parameters);
        assertEquals(prompt, lines[0]);
        assertEquals("Negative prompt: blurry, low quality", lines[1]);
        assertTrue(lines[2].matches("Steps: 5, Sampler: PNDM, CFG scale: 7\\.5, Seed: 42, Size: 256x256, Model: tiny-sd15, "
                + "DeepCache: interval 3 branch 0 uniform"), lines[2]);
    }

    @Test
    void latentsInSaveLatentsOutReproducesTheFixtureCase() throws Exception {
        Path dir = SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1");
        JsonNode meta = SharedFixtures.json(dir.resolve("case.json"));
        Path init = tmp.resolve("latents_init.npy");
        Npy.write(init, SharedFixtures.tensor(dir.resolve("latents_init.f32")));
        Path saved = tmp.resolve("latents_final.npy");
        Path out = tmp.resolve("case.png");
        CliRun r = sd("txt2image", meta.path("prompt").asText(), "--model", "tiny-sd15", "--n_images", "1",
                "--steps", String.valueOf(meta.path("num_inference_steps").asInt()),
                "--cfg", String.valueOf(meta.path("guidance_scale").asDouble()),
                "--latents", init.toString(), "--save-latents", saved.toString(), "--output", out.toString());
        assertEquals(0, r.exitCode(), r.output() + "\norchestrator log:\n" + cluster.logText(ServiceCluster.Service.ORCHESTRATOR));

        FloatTensor expected = SharedFixtures.tensor(dir.resolve("latents_final.f32"));
        FloatTensor actual = Npy.read(saved, "--save-latents");
        assertArrayEquals(expected.shape(), actual.shape());
        float latentDiff = expected.maxAbsDiff(actual);
        assertTrue(latentDiff <= 1e-3f, "final latents differ from the fixture by " + latentDiff + " (tolerance 1e-3)");

        // The single image is unpadded and within the fixtures' 8-bit tolerance of the reference image.
        byte[] png = Files.readAllBytes(out);
        Png.Rgb img = Png.decode(png, "case.png", 1 << 20);
        assertEquals(256, img.width());
        assertEquals(256, img.height());
        ImageDiff diff = ImageDiff.of(Files.readAllBytes(dir.resolve("image.png")), png);
        assertTrue(diff.withinFixtureTolerance(), diff.toString());
    }

    /**
     * SDXL-Turbo from the command line with nothing but the model and a seed: 1 step, guidance 0 and Euler a come
     * from the model folder, the latents and the step noise from the seed, and the result is the shared seed-path
     * case. DeepCache on 1 step is a no-op that the CLI prints as a note. `sd models` lists the family and defaults.
     */
    @Test
    void sdxlTurboOnTheModelsDefaultsReproducesTheSeedPathCase() throws Exception {
        Path dir = SharedFixtures.dir().resolve("fixtures/tiny-sdxl-turbo/cases/eulera1_p1_dc1");
        JsonNode meta = SharedFixtures.json(dir.resolve("case.json"));
        Path saved = tmp.resolve("turbo.npy");
        Path out = tmp.resolve("turbo.png");
        CliRun r = sd("txt2image", meta.path("prompt").asText(), "--model", "tiny-sdxl-turbo", "--n_images", "1",
                "--seed", String.valueOf(meta.path("seed").asLong()), "--cache_interval", "3",
                "--save-latents", saved.toString(), "--output", out.toString());
        assertEquals(0, r.exitCode(), r.output() + "\norchestrator log:\n" + cluster.logText(ServiceCluster.Service.ORCHESTRATOR));
        assertTrue(r.output().contains("Note: deepcache: 1 step, caching has no effect"), r.output());
        String parameters = Png.readText(Files.readAllBytes(out)).get("parameters");
        assertTrue(parameters.contains("Steps: 1, Sampler: Euler a, CFG scale: 0, Seed: 42, Size: 256x256, Model: tiny-sdxl-turbo"),
                parameters);
        float latentDiff = SharedFixtures.tensor(dir.resolve("latents_final.f32")).maxAbsDiff(Npy.read(saved, "latents"));
        assertTrue(latentDiff <= 2e-3f, "final latents differ from the fixture by " + latentDiff + " (tolerance 2e-3)");
        ImageDiff diff = ImageDiff.of(Files.readAllBytes(dir.resolve("image.png")), Files.readAllBytes(out));
        assertTrue(diff.withinFixtureTolerance(), diff.toString());

        CliRun models = sd("models");
        assertEquals(0, models.exitCode(), models.output());
        assertTrue(models.output().lines().anyMatch(l -> l.matches("tiny-sdxl-turbo\\s+sdxl\\s+EulerAncestralDiscreteScheduler"
                + "\\s+256x256\\s+1\\s+0\\s.*")), models.output());
        assertTrue(models.output().lines().anyMatch(l -> l.matches("tiny-sdxl\\s+sdxl\\s+EulerDiscreteScheduler"
                + "\\s+256x256\\s+50\\s+5\\s.*")), models.output());
        assertTrue(models.output().lines().anyMatch(l -> l.matches("tiny-sd15 \\*\\s+sd15\\s+PNDMScheduler"
                + "\\s+256x256\\s+50\\s+7\\.5\\s.*")), models.output());
    }

    @Test
    void tokenizePrintsThePaddedIds() throws Exception {
        Path dir = SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1");
        int[] ids = SharedFixtures.i32(dir.resolve("prompt_ids.i32"));
        CliRun r = sd("tokenize", SharedFixtures.json(dir.resolve("case.json")).path("prompt").asText(), "--model", "tiny-sd15");
        assertEquals(0, r.exitCode(), r.output());
        JsonNode json = SharedFixtures.json(writeTemp(r.output()));
        assertEquals(77, json.path("ids").size());
        for (int i = 0; i < 77; i++) assertEquals(ids[i], json.path("ids").get(i).asInt(), "id " + i);
        assertEquals(false, json.path("truncated").asBoolean());
    }

    private static Path writeTemp(String text) throws Exception {
        Path p = Files.createTempFile(tmp, "tokenize", ".json");
        Files.writeString(p, text);
        return p;
    }

    private static void assertPaddingIsBlack(Png.Rgb grid, int cols, int size) {
        int tile = size + 16;
        for (int c = 0; c < cols; c++) {
            for (int y = 0; y < grid.height(); y++) {
                for (int x : new int[] {c * tile, c * tile + 7, c * tile + 8 + size, c * tile + tile - 1}) {
                    assertEquals(0, sum(grid, x, y), "padding pixel " + x + "," + y + " is not black");
                }
            }
            for (int x = c * tile; x < (c + 1) * tile; x++) {
                for (int y : new int[] {0, 7, 8 + size, tile - 1}) {
                    assertEquals(0, sum(grid, x, y), "padding pixel " + x + "," + y + " is not black");
                }
            }
        }
    }

    private static boolean tileIsNotBlank(Png.Rgb grid, int x0, int y0, int size) {
        long total = 0;
        for (int y = y0; y < y0 + size; y += 7) {
            for (int x = x0; x < x0 + size; x += 7) total += sum(grid, x, y);
        }
        return total > 0;
    }

    private static int sum(Png.Rgb img, int x, int y) {
        int o = (y * img.width() + x) * 3;
        return (img.rgb()[o] & 0xFF) + (img.rgb()[o + 1] & 0xFF) + (img.rgb()[o + 2] & 0xFF);
    }
}
