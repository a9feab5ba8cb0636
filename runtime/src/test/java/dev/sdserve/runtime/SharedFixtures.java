package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test access to the read-only reference models and fixtures in {@code ../shared} (relative to the project
 * root). Tests that need them are skipped, with a message saying so, when the folder is absent. Never write
 * under it.
 */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    /** The shared folder: the {@code sd.shared.dir} property (set by the build), else ../shared from the project root. */
    public static Path dir() {
        String prop = System.getProperty("sd.shared.dir");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath().normalize();
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve(".git")) && !Files.isRegularFile(p.resolve("proto/pom.xml"))) {
            p = p.getParent();
        }
        return (p == null ? Path.of("..") : p.resolve("..")).resolve("shared").toAbsolutePath().normalize();
    }

    public static boolean present() {
        return Files.isDirectory(dir().resolve("models").resolve("tiny-sd15"))
                && Files.isDirectory(dir().resolve("fixtures").resolve("tiny-sd15"));
    }

    /** Skips the calling test with a clear message when ../shared is absent. */
    public static void assume() {
        assumeTrue(present(), "skipped: ../shared (reference models and fixtures) not found at " + dir());
    }

    public static Path modelsRoot() {
        assume();
        return dir().resolve("models");
    }

    public static Path tinyModel() {
        return modelsRoot().resolve("tiny-sd15");
    }

    public static Path fixtures() {
        assume();
        return dir().resolve("fixtures").resolve("tiny-sd15");
    }

    public static JsonNode json(Path p) {
        return Json.read(p);
    }

    public static float[] f32(Path p) {
        ByteBuffer b = bytes(p);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    public static int[] i32(Path p) {
        ByteBuffer b = bytes(p);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    /** A float32 fixture file as a tensor of the given shape. */
    public static FloatTensor tensor(Path p, long... shape) {
        return FloatTensor.of(shape, f32(p));
    }

    /** A float32 fixture file with its shape read from the {@code files} map of the case.json beside it. */
    public static FloatTensor tensor(Path p) {
        JsonNode files = json(p.resolveSibling("case.json")).path("files");
        for (JsonNode f : (Iterable<JsonNode>) () -> files.elements()) {
            if (p.getFileName().toString().equals(f.path("file").asText())) {
                long[] shape = new long[f.path("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = f.path("shape").get(i).asLong();
                return FloatTensor.of(shape, f32(p));
            }
        }
        throw new IllegalArgumentException("no shape for " + p + " in case.json");
    }

    private static ByteBuffer bytes(Path p) {
        try {
            return ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
