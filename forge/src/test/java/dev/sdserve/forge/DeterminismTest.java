package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.SdException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same spec gives the same bytes; another seed gives other weights; existing folders are not overwritten. */
class DeterminismTest {
    @TempDir
    Path tmp;

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws Exception {
        Path a = Forge.forge(new ForgeSpec("sd21", 0.05, 11), tmp.resolve("a")).dir();
        Path b = Forge.forge(new ForgeSpec("sd21", 0.05, 11), tmp.resolve("b")).dir();
        Path c = Forge.forge(new ForgeSpec("sd21", 0.05, 12), tmp.resolve("c")).dir();
        List<Path> files = files(a);
        assertEquals(files, files(b));
        assertTrue(files.contains(Path.of("unet", "model.onnx")) && files.contains(Path.of("tokenizer", "vocab.json")));
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f.toString());
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("unet/model.onnx")),
                Files.readAllBytes(c.resolve("unet/model.onnx"))), "seed changes the weights");
        assertArrayEquals(Files.readAllBytes(a.resolve("tokenizer/merges.txt")),
                Files.readAllBytes(c.resolve("tokenizer/merges.txt")));
    }

    @Test
    void refusesANonEmptyFolderAndLeavesNoHalfWrittenModel() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        SdException e = assertThrows(SdException.class, () -> Forge.forge(new ForgeSpec("sd15", 0.05, 0), out));
        assertTrue(e.getMessage().startsWith("out:"), e.getMessage());
        assertEquals(List.of(Path.of("keep.txt")), files(out));
        assertEquals(List.of(Path.of("taken")), Files.list(tmp).map(tmp::relativize).toList(), "no hidden leftovers");
        assertTrue(Forge.forgeIfAbsent(new ForgeSpec("sd15", 0.05, 0), tmp.resolve("x")), "first call forges");
        assertTrue(Files.exists(tmp.resolve("x/model_index.json")));
        assertFalse(Forge.forgeIfAbsent(new ForgeSpec("sd15", 0.05, 0), tmp.resolve("x")), "second call keeps it");
    }

    private static List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }
}
