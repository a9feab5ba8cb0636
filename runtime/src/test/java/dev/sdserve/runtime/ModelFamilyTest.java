package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The family comes from the folder's files (model_index.json or the UNet's inputs), never from its name. */
class ModelFamilyTest {

    private static Path shared(String model) {
        Path p = SharedFixtures.modelsRoot().resolve(model);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(p), "skipped: " + p + " absent");
        return p;
    }

    @Test
    void sharedModelsAreRecognised() {
        assertEquals(ModelFamily.SD15, ModelFolder.open("tiny-sd15", shared("tiny-sd15")).family());
        assertEquals(4, ModelFolder.open("tiny-sd15", shared("tiny-sd15")).unetUpBlocks());
        for (String m : List.of("tiny-sdxl", "tiny-sdxl-turbo")) {
            ModelFolder f = ModelFolder.open(m, shared(m));
            assertEquals(ModelFamily.SDXL, f.family(), m);
            assertEquals("sdxl", f.kind());
            assertTrue(f.isSdxl());
            f.requireSdxlParts();
            assertTrue(Files.isRegularFile(f.onnx(ModelFolder.Part.TEXT_ENCODER_2)));
            assertEquals(f.root().resolve("tokenizer_2"), f.tokenizerDir(ModelFolder.Tokenizer.SECOND));
            assertEquals(256, f.nativeSize());
            assertEquals(0.13025, f.vaeScalingFactor(), 1e-12);
            assertEquals(3, f.unetUpBlocks());
        }
    }

    @Test
    void pipelineClassWithOrWithoutOptimumPrefix() {
        for (String c : List.of("StableDiffusionXLPipeline", "ORTStableDiffusionXLPipeline",
                "OnnxStableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline")) {
            assertTrue(ModelFamily.isSdxlPipelineClass(c), c);
        }
        for (String c : List.of("StableDiffusionPipeline", "OnnxStableDiffusionPipeline", "ORTStableDiffusionPipeline", "")) {
            assertFalse(ModelFamily.isSdxlPipelineClass(c), c);
        }
    }

    @Test
    void modelIndexDecidesWhateverTheFolderName(@TempDir Path dir) throws IOException {
        // an SD 1.5 folder named like SDXL stays sd15; an ORT-prefixed SDXL index under a neutral name is sdxl
        Path fake = copyIndexOnly(dir.resolve("sdxl-turbo-copy"), "StableDiffusionPipeline");
        assertEquals(ModelFamily.SD15, ModelFolder.open("sdxl-turbo-copy", fake).family());
        Path ort = copyIndexOnly(dir.resolve("m"), "ORTStableDiffusionXLPipeline");
        assertEquals(ModelFamily.SDXL, ModelFolder.open("m", ort).family());
    }

    @Test
    void unetInputsDecideWithoutModelIndex(@TempDir Path dir) throws IOException {
        // no model_index.json: tiny-sdxl's UNet (text_embeds, time_ids) makes it SDXL, tiny-sd15's does not
        for (String m : List.of("tiny-sdxl", "tiny-sd15")) {
            Path unet = Files.createDirectories(dir.resolve(m + "-bare").resolve("unet"));
            Files.createSymbolicLink(unet.resolve("model.onnx"), shared(m).resolve("unet/model.onnx"));
            Files.copy(shared(m).resolve("unet/config.json"), unet.resolve("config.json"));
        }
        assertEquals(ModelFamily.SDXL, ModelFolder.open("a", dir.resolve("tiny-sdxl-bare")).family());
        assertEquals(ModelFamily.SD15, ModelFolder.open("b", dir.resolve("tiny-sd15-bare")).family());
    }

    @Test
    void missingSecondEncoderOrTokenizerIsNotFoundNamingThePart(@TempDir Path dir) throws IOException {
        Path m = copyIndexOnly(dir.resolve("m"), "StableDiffusionXLPipeline");
        SdException e = assertThrows(SdException.class, () -> ModelFolder.open("m", m).requireSdxlParts());
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("tokenizer_2/"), e.getMessage());
        Path tok = Files.createDirectories(m.resolve("tokenizer_2"));
        Files.writeString(tok.resolve("vocab.json"), "{}");
        Files.writeString(tok.resolve("merges.txt"), "");
        e = assertThrows(SdException.class, () -> ModelFolder.open("m", m).requireSdxlParts());
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("text_encoder_2/"), e.getMessage());
        e = assertThrows(SdException.class, () -> ModelFolder.open("m", m).onnx(ModelFolder.Part.TEXT_ENCODER_2));
        assertTrue(e.getMessage().contains("text_encoder_2/model.onnx"), e.getMessage());
    }

    @Test
    void onnxInputsAreReadWithoutLoading() {
        Map<String, Integer> in = OnnxInputs.of(shared("tiny-sdxl").resolve("unet/model.onnx"));
        assertEquals(List.of("sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"), List.copyOf(in.keySet()));
        assertEquals(1, in.get("time_ids"));
        assertEquals(7, OnnxInputs.of(shared("tiny-sdxl").resolve("text_encoder_2/model.onnx")).get("input_ids")); // int64
    }

    @Test
    void externalDataIsFoundBesideTheModel(@TempDir Path dir) throws IOException {
        Path unet = Files.createDirectories(dir.resolve("m/unet"));
        Files.writeString(unet.resolve("model.onnx"), "");
        ModelFolder f = ModelFolder.open("m", dir.resolve("m"));
        assertTrue(f.externalData(ModelFolder.Part.UNET).isEmpty());
        Files.writeString(unet.resolve(ModelFolder.EXTERNAL_DATA), "");
        assertEquals(unet.resolve("model.onnx_data"), f.externalData(ModelFolder.Part.UNET).orElseThrow());
    }

    private static Path copyIndexOnly(Path dir, String className) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model_index.json"), "{\"_class_name\": \"" + className + "\"}");
        return dir;
    }
}
