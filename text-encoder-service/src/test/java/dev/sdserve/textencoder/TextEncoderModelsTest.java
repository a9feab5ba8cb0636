package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Model lookup and the one-stage-per-model cache, without a server. */
class TextEncoderModelsTest {

    @Test
    void defaultAndNamedModelShareOneStageAndUnknownIsNotFound() {
        ModelRoots roots = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15");
        try (TextEncoderModels models = new TextEncoderModels(roots, RuntimeOptions.defaults(), 1,
                TextEncoderStage.Limits.defaults())) {
            try (ModelCache<TextEncoderStage>.Lease a = models.acquire("");
                 ModelCache<TextEncoderStage>.Lease b = models.acquire("tiny-sd15")) {
                assertSame(a.get(), b.get());
                assertEquals("tiny-sd15", a.get().model());
            }
            SdException missing = assertThrows(SdException.class, () -> models.acquire("no-such-model"));
            assertEquals(SdException.Kind.NOT_FOUND, missing.kind());
            assertTrue(missing.getMessage().contains("no-such-model"));
            SdException path = assertThrows(SdException.class, () -> models.acquire("../tiny-sd15"));
            assertEquals(SdException.Kind.INVALID_ARGUMENT, path.kind());
        }
    }
}
