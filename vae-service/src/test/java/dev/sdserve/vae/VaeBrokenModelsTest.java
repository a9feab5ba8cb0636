package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.BrokenModels;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model folders with the VAE parts missing or corrupt: a clear status naming the part, and the service goes on. */
class VaeBrokenModelsTest {
    @TempDir
    static Path root;
    static VaeModels models;

    @BeforeAll
    static void load() {
        BrokenModels.createAll(root);
        models = new VaeModels(new ModelRoots(List.of(root), "tiny-sd15"), RuntimeOptions.defaults(), VaeLimits.defaults(), 2);
    }

    @AfterAll
    static void close() {
        if (models != null) models.close();
    }

    @Test
    void aMissingVaeDecoderIsNotFoundNamingThePart() {
        SdException e = assertThrows(SdException.class, () -> models.acquire(BrokenModels.NO_VAE_DECODER));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertEquals("model 'no-vae-decoder' has no vae_decoder/model.onnx", e.getMessage());
    }

    @Test
    void aMissingVaeEncoderIsNotFoundOnEncodeWhileDecodeStillWorks() {
        try (ModelCache<VaeStage>.Lease vae = models.acquire(BrokenModels.NO_VAE_ENCODER)) {
            assertEquals(1, vae.get().decode(FloatTensor.zeros(1, 4, 8, 8), 1).rgb().size());
            SdException e = assertThrows(SdException.class, () -> vae.get().encode(FloatTensor.zeros(1, 3, 64, 64)));
            assertEquals(SdException.Kind.NOT_FOUND, e.kind());
            assertEquals("model 'no-vae-encoder' has no vae_encoder/model.onnx", e.getMessage());
        }
    }

    @Test
    void aCorruptVaeDecoderIsFailedPreconditionNamingTheFile() {
        SdException e = assertThrows(SdException.class, () -> models.acquire(BrokenModels.CORRUPT_VAE_DECODER));
        assertEquals(SdException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("cannot load ONNX model " + root.resolve("corrupt-vae-decoder/vae_decoder/model.onnx")),
                e.getMessage());
        // the failure is not cached: the healthy model next to it still loads
        try (ModelCache<VaeStage>.Lease ok = models.acquire("tiny-sd15")) {
            assertEquals(4, ok.get().latentChannels());
        }
    }
}
