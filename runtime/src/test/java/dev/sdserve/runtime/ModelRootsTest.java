package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRootsTest {

    @Test
    void namesWithPathsAreRejected() {
        for (String bad : new String[] {"../etc", "a/b", "a\\b", "..", ".hidden", ""}) {
            SdException e = assertThrows(SdException.class, () -> ModelRoots.validateName(bad), bad);
            assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        }
        ModelRoots.validateName("tiny-sd15");
    }

    @Test
    void unknownModelIsNotFoundWithItsName(@TempDir Path dir) {
        ModelRoots roots = new ModelRoots(List.of(dir), "");
        SdException e = assertThrows(SdException.class, () -> roots.resolve("no-such-model"));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("no-such-model"));
    }

    @Test
    void rootsAreSearchedInOrder(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a/m/unet"));
        Path b = Files.createDirectories(dir.resolve("b/m/unet"));
        Files.createDirectories(dir.resolve("b/other/unet"));
        ModelRoots roots = new ModelRoots(ModelRoots.parse(dir.resolve("a") + ":" + dir.resolve("b")), "");
        assertEquals(a.getParent(), roots.resolve("m").root());
        assertEquals(List.of("m", "other"), List.copyOf(roots.list().keySet()));
        assertNotEquals(b.getParent(), roots.resolve("m").root());
        // the configured default wins when present, else the first model found
        assertEquals("other", new ModelRoots(roots.roots(), "other").defaultModel());
        assertEquals("m", new ModelRoots(roots.roots(), "absent-default").defaultModel());
    }

    @Test
    void tinyModelFolderIsRead() {
        ModelRoots roots = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15");
        ModelFolder m = roots.resolve("");
        assertEquals("tiny-sd15", m.name());
        assertEquals("PNDMScheduler", m.defaultScheduler());
        assertEquals(256, m.nativeSize());
        assertEquals(0.18215, m.vaeScalingFactor(), 1e-12);
        assertEquals("sd15", m.kind());
        assertTrue(Files.isRegularFile(m.onnx(ModelFolder.Part.UNET)));
    }
}
