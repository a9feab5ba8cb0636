package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.Png;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ShapesChecker} against the original, tools/train/checker.py, on the same images: noisy renderings
 * whose foreground masks have ragged edges and speckle, so that the frame median, the distance threshold, the
 * component sizes and the matching are all exercised. Skipped, saying why, where python3 with numpy is missing
 * (checker.py needs only numpy; shapes.py's {@code import torch} is stubbed, as nothing the checker uses calls it).
 */
class ShapesCheckerPythonTest {
    private static final String SCRIPT = String.join("\n",
            "import json, sys, types",
            "try:",
            "    import torch  # noqa: F401",
            "except ImportError:",
            "    sys.modules['torch'] = types.ModuleType('torch')",
            "sys.path.insert(0, sys.argv[1])",
            "import numpy as np",
            "import checker",
            "out = []",
            "for line in open(sys.argv[2]):",
            "    path, prompt = line.rstrip('\\n').split('\\t')",
            "    img = np.fromfile(path, np.uint8).reshape(128, 128, 3)",
            "    s = checker.score(img, prompt)",
            "    m = s.pop('measured')",
            "    out.append(dict(score=s, background=m['background'], blobs=m['blobs']))",
            "print(json.dumps(out))");

    @Test
    void javaAndPythonMeasureTheSameOnNoisyImages() throws Exception {
        Path tools = Cluster.projectDir().resolve("tools/train");
        assumeTrue(Files.isRegularFile(tools.resolve("checker.py")), "skipped: no tools/train/checker.py under " + tools);
        assumeTrue(pythonWithNumpy(), "skipped: python3 with numpy is not available here");

        Path dir = Files.createDirectories(Path.of("target", "shapes-checker-python").toAbsolutePath());
        List<String> prompts = List.of(
                "a red circle on the left on a blue background",
                "a orange triangle in the center on a yellow background",
                "a white square at the bottom on a black background",
                "a purple circle at the top on a green background",
                "a green triangle on the right and a yellow square on the left on a purple background",
                "a black circle at the top and a red triangle at the bottom on a white background");
        double[] noise = {20, 35, 45, 30, 25, 40};
        Random random = new Random(5);
        List<Png.Rgb> images = new ArrayList<>();
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < prompts.size(); i++) {
            Png.Rgb img = noisy(ShapesRenderer.render(ShapesWorld.parse(prompts.get(i)), random), noise[i], random);
            Path raw = dir.resolve("image" + i + ".rgb");
            Files.write(raw, img.rgb());
            images.add(img);
            list.append(raw).append('\t').append(prompts.get(i)).append('\n');
        }
        Path listFile = Files.writeString(dir.resolve("images.tsv"), list, StandardCharsets.UTF_8);
        JsonNode py = Json.MAPPER.readTree(runPython(tools, listFile));

        for (int i = 0; i < prompts.size(); i++) {
            String what = "image " + i + " (" + prompts.get(i) + ")";
            JsonNode want = py.get(i);
            ShapesChecker.Score got = ShapesChecker.score(images.get(i), prompts.get(i));
            assertEquals(want.get("background").asText(), got.measured().background(), what);
            assertEquals(want.get("blobs").size(), got.measured().blobs().size(), what + ": blobs");
            for (int b = 0; b < got.measured().blobs().size(); b++) assertBlob(want.get("blobs").get(b), got.measured().blobs().get(b), what);
            JsonNode s = want.get("score");
            assertEquals(s.get("background").asDouble(), got.background(), 1e-12, what);
            assertEquals(s.get("color").asDouble(), got.color(), 1e-12, what);
            assertEquals(s.get("position").asDouble(), got.position(), 1e-12, what);
            assertEquals(s.get("shape").asDouble(), got.shape(), 1e-12, what);
        }
    }

    private static void assertBlob(JsonNode want, ShapesChecker.Blob got, String what) {
        assertEquals(want.get("pixels").asInt(), got.pixels(), what + ": pixels");
        assertEquals(want.get("color").asText(), got.color(), what);
        assertEquals(want.get("position").asText(), got.position(), what);
        assertEquals(want.get("shape").asText(), got.shape(), what);
        assertEquals(want.get("fill").asDouble(), got.fill(), 1e-12, what);
        assertEquals(want.get("centroid").get(0).asDouble(), got.cx(), 1e-9, what);
        assertEquals(want.get("centroid").get(1).asDouble(), got.cy(), 1e-9, what);
    }

    /** Adds N(0, sigma) per sample, clamped to 0..255. */
    private static Png.Rgb noisy(Png.Rgb img, double sigma, Random random) {
        byte[] out = img.rgb().clone();
        for (int i = 0; i < out.length; i++) {
            long v = Math.round((out[i] & 0xff) + sigma * random.nextGaussian());
            out[i] = (byte) Math.max(0, Math.min(255, v));
        }
        return new Png.Rgb(img.width(), img.height(), out);
    }

    private static String runPython(Path tools, Path listFile) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "-c", SCRIPT, tools.toString(), listFile.toString())
                .redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("checker.py failed: " + err);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static boolean pythonWithNumpy() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
