package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sdserve.orchestrator.pipeline.GenerationRequest;
import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.InitImage;
import dev.sdserve.runtime.BrokenModels;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad-input rule of Generate, and the defaults. */
class GenerateRequestsTest {
    private GenerateRequests requests;

    @BeforeEach
    void setUp() {
        SharedFixtures.assume();
        requests = new GenerateRequests(new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15"),
                GenerateRequests.Limits.DEFAULT);
    }

    private static GenerateRequest.Builder base() {
        return GenerateRequest.newBuilder().setPrompt("a cat");
    }

    private static Arguments bad(String field, UnaryOperator<GenerateRequest.Builder> edit) {
        return Arguments.of(field, edit);
    }

    static Stream<Arguments> badInputs() {
        FloatTensor wrongShape = FloatTensor.zeros(1, 4, 16, 16);
        FloatTensor nan = FloatTensor.of(new long[] {1, 4, 32, 32}, nanArray(4 * 32 * 32));
        return Stream.of(
                bad("steps", b -> b.setSteps(-1)),
                bad("steps", b -> b.setSteps(1001)),
                bad("steps", b -> b.setSteps(1000)), // PNDM, leading + steps_offset 1: t = 1000 is out of range
                bad("guidance", b -> b.setGuidance(Double.NaN)),
                bad("guidance", b -> b.setGuidance(Double.POSITIVE_INFINITY)),
                bad("n_images", b -> b.setNImages(-2)),
                bad("n_images", b -> b.setNImages(9)),
                bad("height", b -> b.setHeight(100)),
                bad("width", b -> b.setWidth(-64)),
                bad("height", b -> b.setHeight(2048 + 64)),
                bad("width", b -> b.setWidth(4096)),
                // within max-side but over the VAE's max-pixels: refused before any step (issue 18)
                bad("height, width", b -> b.setHeight(1024).setWidth(1088)),
                bad("height, width", b -> b.setHeight(2048).setWidth(2048)),
                bad("scheduler", b -> b.setScheduler("heun")),
                bad("deepcache.cache_interval", b -> b.setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(-1))),
                bad("deepcache.cache_branch_id", b -> b.setDeepcache(DeepCacheParams.newBuilder().setCacheBranchId(12))),
                bad("deepcache.cache_branch_id", b -> b.setDeepcache(DeepCacheParams.newBuilder().setCacheBranchId(-1))),
                bad("deepcache.power", b -> b.setDeepcache(DeepCacheParams.newBuilder().setNonUniform(true)
                        .setCacheInterval(3).setPower(0.5))),
                bad("deepcache.center", b -> b.setDeepcache(DeepCacheParams.newBuilder().setCenter(Double.NaN))),
                bad("init_image.strength", b -> b.setInitImage(png(1.5))),
                bad("init_image.strength", b -> b.setInitImage(png(-0.2))),
                bad("init_image.strength", b -> b.setInitImage(png(0.01))),
                bad("init_image", b -> b.setInitImage(InitImage.newBuilder().setStrength(0.5))),
                bad("preview_interval", b -> b.setPreviewInterval(-1)),
                bad("decoding_batch_size", b -> b.setDecodingBatchSize(-1)),
                bad("initial_latents", b -> b.setInitialLatents(TensorCodec.toProto(wrongShape))),
                bad("initial_latents", b -> b.setInitialLatents(TensorCodec.toProto(nan))),
                bad("model", b -> b.setModel("../etc")));
    }

    @ParameterizedTest(name = "{0}: case {index}")
    @MethodSource("badInputs")
    void rejectsNamingTheField(String field, UnaryOperator<GenerateRequest.Builder> edit) {
        GenerateRequest r = edit.apply(base().setHeight(256).setWidth(256)).build();
        SdException e = assertThrows(SdException.class, () -> requests.validate(r));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().startsWith(field + ":"), e.getMessage());
    }

    @Test
    void theLargestImageTheVaeTakesIsAccepted() {
        assertEquals(1024, requests.validate(base().setHeight(1024).setWidth(1024).build()).height());
        assertEquals(2048, requests.validate(base().setHeight(2048).setWidth(512).build()).height());
    }

    @Test
    void unknownModelIsNotFound() {
        SdException e = assertThrows(SdException.class, () -> requests.validate(base().setModel("nope").build()));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void aModelFolderWithPartsMissingIsNotFoundNamingThePartBeforeAnyStageRuns(@TempDir Path tmp) {
        BrokenModels.createAll(tmp);
        GenerateRequests broken = new GenerateRequests(new ModelRoots(List.of(tmp), "tiny-sd15"),
                GenerateRequests.Limits.DEFAULT);
        String[][] cases = {
            {BrokenModels.NO_TOKENIZER, "model 'no-tokenizer' has no tokenizer/vocab.json and tokenizer/merges.txt"},
            {BrokenModels.NO_TEXT_ENCODER, "model 'no-text-encoder' has no text_encoder/model.onnx"},
            {BrokenModels.NO_UNET, "model 'no-unet' has no unet/model.onnx"},
            {BrokenModels.NO_VAE_DECODER, "model 'no-vae-decoder' has no vae_decoder/model.onnx"}};
        for (String[] c : cases) {
            SdException e = assertThrows(SdException.class, () -> broken.validate(base().setModel(c[0]).build()));
            assertEquals(SdException.Kind.NOT_FOUND, e.kind(), e.getMessage());
            assertEquals(c[1], e.getMessage());
        }
        // the VAE encoder is needed for img2img only
        assertEquals(BrokenModels.NO_VAE_ENCODER, broken.validate(base().setModel(BrokenModels.NO_VAE_ENCODER).build())
                .model().name());
        SdException img2img = assertThrows(SdException.class, () -> broken.validate(base()
                .setModel(BrokenModels.NO_VAE_ENCODER).setInitImage(png(0.5)).build()));
        assertEquals("model 'no-vae-encoder' has no vae_encoder/model.onnx", img2img.getMessage());
    }

    @Test
    void defaults() {
        GenerationRequest r = requests.validate(base().build());
        assertEquals("tiny-sd15", r.model().name());
        assertEquals(50, r.steps());
        assertEquals(7.5, r.guidance());
        assertEquals(1, r.nImages());
        assertEquals(256, r.height(), "the model's native size");
        assertEquals(256, r.width());
        assertEquals("", r.scheduler(), "the model's own scheduler");
        assertEquals(1, r.cache().interval(), "no caching");
        assertEquals(1, r.decodingBatchSize());
        assertFalse(r.initialLatents().isPresent());
        assertTrue(r.seed() >= 0, "a random seed is drawn and reported");
    }

    @Test
    void explicitValuesAreKept() {
        FloatTensor latents = FloatTensor.zeros(2, 4, 8, 16);
        GenerationRequest r = requests.validate(base().setSteps(20).setGuidance(1.0).setNImages(2).setHeight(64)
                .setWidth(128).setScheduler("euler").setSeed(0).setInitialLatents(TensorCodec.toProto(latents))
                .setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(3).setCacheBranchId(2)).build());
        assertEquals(0, r.seed(), "seed 0 is a seed, not 'absent'");
        assertFalse(r.cfg());
        assertEquals(3, r.cache().interval());
        assertEquals(2, r.cache().branch());
        assertArrayEquals(new long[] {2, 4, 8, 16}, r.initialLatents().orElseThrow().shape());
    }

    @Test
    void img2imgDefaultsToStrengthPointNine() {
        GenerationRequest r = requests.validate(base().setSteps(20).setInitImage(png(0)).build());
        assertEquals(0.9, r.initImage().orElseThrow().strength());
        assertEquals(2, r.beginIndex(), "20 steps at 0.9 start at t_start 2");
    }

    private static InitImage.Builder png(double strength) {
        return InitImage.newBuilder().setEncodedImage(ByteString.copyFromUtf8("not checked here")).setStrength(strength);
    }

    private static float[] nanArray(int n) {
        float[] a = new float[n];
        a[5] = Float.NaN;
        return a;
    }
}
