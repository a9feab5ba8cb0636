package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.BrokenModels;
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

/** Model folders with the tokenizer or text encoder missing or corrupt: a clear status naming the part. */
class TextEncoderBrokenModelsTest {
    @TempDir
    static Path root;
    static TextEncoderModels models;

    @BeforeAll
    static void load() {
        BrokenModels.createAll(root);
        models = new TextEncoderModels(new ModelRoots(List.of(root), "tiny-sd15"), RuntimeOptions.defaults(), 2,
                TextEncoderStage.Limits.defaults());
    }

    @AfterAll
    static void close() {
        if (models != null) models.close();
    }

    @Test
    void aMissingTokenizerIsNotFoundNamingItsFiles() {
        SdException e = assertThrows(SdException.class, () -> models.acquire(BrokenModels.NO_TOKENIZER));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertEquals("model 'no-tokenizer' has no tokenizer/vocab.json and tokenizer/merges.txt", e.getMessage());
    }

    @Test
    void aMissingTextEncoderIsNotFoundNamingThePart() {
        SdException e = assertThrows(SdException.class, () -> models.acquire(BrokenModels.NO_TEXT_ENCODER));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertEquals("model 'no-text-encoder' has no text_encoder/model.onnx", e.getMessage());
    }

    @Test
    void aCorruptTextEncoderIsFailedPreconditionNamingTheFile() {
        SdException e = assertThrows(SdException.class, () -> models.acquire(BrokenModels.CORRUPT_TEXT_ENCODER));
        assertEquals(SdException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("cannot load ONNX model "
                + root.resolve("corrupt-text-encoder/text_encoder/model.onnx")), e.getMessage());
        try (ModelCache<TextEncoderStage>.Lease ok = models.acquire("tiny-sd15")) {
            assertEquals(77, ok.get().encode(List.of("")).lastHiddenState().dim(1));
        }
    }
}
