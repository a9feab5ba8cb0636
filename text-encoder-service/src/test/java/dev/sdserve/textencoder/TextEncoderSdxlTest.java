package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxJavaType;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SDXL's two-encoder path against the tiny-sdxl fixtures (diffusers' StableDiffusionXLPipeline.encode_prompt):
 * both tokenizations exact, prompt_embeds = concat(penultimate hidden states) and pooled = text_encoder_2's
 * text_embeds within 2e-5.
 */
class TextEncoderSdxlTest {
    static final float TOLERANCE = 2e-5f;
    private static TextEncoderStage sdxl;
    private static TextEncoderStage sd15;

    @BeforeAll
    static void open() {
        SharedFixtures.assume();
        sdxl = TextEncoderStage.open(folder("tiny-sdxl"), RuntimeOptions.defaults(), TextEncoderStage.Limits.defaults());
        sd15 = TextEncoderStage.open(folder("tiny-sd15"), RuntimeOptions.defaults(), TextEncoderStage.Limits.defaults());
    }

    @AfterAll
    static void close() {
        if (sdxl != null) sdxl.close();
        if (sd15 != null) sd15.close();
    }

    static ModelFolder folder(String name) {
        return new ModelRoots(List.of(SharedFixtures.modelsRoot()), "").resolve(name);
    }

    static Stream<Path> cases() {
        SharedFixtures.assume();
        List<Path> out = new ArrayList<>();
        for (String model : List.of("tiny-sdxl", "tiny-sdxl-turbo")) {
            try (Stream<Path> s = Files.list(SharedFixtures.dir().resolve("fixtures").resolve(model).resolve("cases"))) {
                s.sorted().forEach(out::add);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out.stream();
    }

    private static String prompt(Path dir) {
        return SharedFixtures.json(dir.resolve("case.json")).get("prompt").asText();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesThePipelineCase(Path dir) {
        TextEncoderStage.Encoded e = sdxl.encode(List.of(prompt(dir)));
        assertArrayEquals(SharedFixtures.i32(dir.resolve("prompt_ids.i32")), e.prompts().get(0).ids(), "prompt_ids");
        assertArrayEquals(SharedFixtures.i32(dir.resolve("prompt_ids_2.i32")), e.prompts2().get(0).ids(), "prompt_ids_2");
        assertArrayEquals(new long[] {1, 77, 64}, e.lastHiddenState().shape());
        assertWithin(SharedFixtures.tensor(dir.resolve("prompt_embeds.f32")), e.lastHiddenState(), "prompt_embeds");
        assertArrayEquals(new long[] {1, 32}, e.pooled().shape());
        assertWithin(SharedFixtures.tensor(dir.resolve("pooled_prompt_embeds.f32")), e.pooled(), "pooled_prompt_embeds");
    }

    @Test
    void tokenizer2PadsWithExclamationMarkIdZeroReadFromItsFiles() {
        ClipTokenizer t2 = ClipTokenizer.load(folder("tiny-sdxl").tokenizerDir(ModelFolder.Tokenizer.SECOND));
        assertEquals(0, t2.padId());
        assertEquals("!", t2.token(0));
        assertEquals(49407, sdxl.tokenizer().padId());
        int[] ids = sdxl.encode(List.of("")).prompts2().get(0).ids();
        assertArrayEquals(new int[] {49406, 49407, 0, 0}, Arrays.copyOf(ids, 4));
    }

    @Test
    void aBatchMatchesEachRowAndPrompts2DefaultsToThePrompts() {
        Path p1 = caseDir("tiny-sdxl", "ddim_p1_dc1");
        Path p2 = caseDir("tiny-sdxl", "ddim_p2_dc3");
        TextEncoderStage.Encoded batch = sdxl.encode(List.of(prompt(p1), prompt(p2)));
        assertWithin(SharedFixtures.tensor(p1.resolve("prompt_embeds.f32")), batch.lastHiddenState().slice0(0, 1), "row 0");
        assertWithin(SharedFixtures.tensor(p2.resolve("prompt_embeds.f32")), batch.lastHiddenState().slice0(1, 2), "row 1");
        assertWithin(SharedFixtures.tensor(p2.resolve("pooled_prompt_embeds.f32")), batch.pooled().slice0(1, 2), "pooled row 1");
        TextEncoderStage.Encoded same = sdxl.encode(List.of(prompt(p1), prompt(p2)), List.of(prompt(p1), prompt(p2)));
        assertEquals(0f, same.lastHiddenState().maxAbsDiff(batch.lastHiddenState()));
        assertEquals(0f, same.pooled().maxAbsDiff(batch.pooled()));
    }

    /** prompt_2 feeds only tokenizer_2 + text_encoder_2: the first 32 channels follow prompt, the rest and pooled prompt_2. */
    @Test
    void prompts2FeedsOnlyTheSecondEncoder() {
        Path p1 = caseDir("tiny-sdxl", "ddim_p1_dc1");
        Path p2 = caseDir("tiny-sdxl", "ddim_p2_dc3");
        TextEncoderStage.Encoded e = sdxl.encode(List.of(prompt(p1)), List.of(prompt(p2)));
        assertArrayEquals(SharedFixtures.i32(p1.resolve("prompt_ids.i32")), e.prompts().get(0).ids());
        assertArrayEquals(SharedFixtures.i32(p2.resolve("prompt_ids_2.i32")), e.prompts2().get(0).ids());
        float[] got = e.lastHiddenState().toArray();
        float[] want1 = SharedFixtures.f32(p1.resolve("prompt_embeds.f32"));
        float[] want2 = SharedFixtures.f32(p2.resolve("prompt_embeds.f32"));
        float d1 = 0;
        float d2 = 0;
        for (int i = 0; i < got.length; i++) {
            if (i % 64 < 32) d1 = Math.max(d1, Math.abs(got[i] - want1[i]));
            else d2 = Math.max(d2, Math.abs(got[i] - want2[i]));
        }
        assertTrue(d1 <= TOLERANCE, "text_encoder half vs prompt: " + d1);
        assertTrue(d2 <= TOLERANCE, "text_encoder_2 half vs prompt_2: " + d2);
        assertWithin(SharedFixtures.tensor(p2.resolve("pooled_prompt_embeds.f32")), e.pooled(), "pooled from prompt_2");
    }

    @Test
    void int32InputIdsGiveTheSameEmbeddings(@TempDir Path tmp) throws IOException {
        Path src = SharedFixtures.modelsRoot().resolve("tiny-sdxl");
        Path dst = Files.createDirectories(tmp.resolve("sdxl-int32"));
        try (Stream<Path> parts = Files.list(src)) {
            for (Path p : (Iterable<Path>) parts::iterator) {
                String name = p.getFileName().toString();
                if (!name.startsWith("text_encoder")) {
                    Files.createSymbolicLink(dst.resolve(name), p);
                    continue;
                }
                Path d = Files.createDirectories(dst.resolve(name));
                Files.copy(p.resolve("config.json"), d.resolve("config.json"));
                Int64IdsGraph.toInt32(p.resolve("model.onnx"), d.resolve("model.onnx"), "input_ids");
            }
        }
        try (TextEncoderStage s32 = TextEncoderStage.open(ModelFolder.open("sdxl-int32", dst), RuntimeOptions.defaults(),
                TextEncoderStage.Limits.defaults())) {
            assertEquals(OnnxJavaType.INT32, s32.idsType());
            assertEquals(OnnxJavaType.INT32, s32.idsType2());
            assertEquals(OnnxJavaType.INT64, sdxl.idsType());
            assertEquals(OnnxJavaType.INT64, sdxl.idsType2());
            List<String> prompts = List.of(prompt(caseDir("tiny-sdxl", "ddim_p2_dc3")), "");
            TextEncoderStage.Encoded a = s32.encode(prompts);
            TextEncoderStage.Encoded b = sdxl.encode(prompts);
            assertEquals(0f, a.lastHiddenState().maxAbsDiff(b.lastHiddenState()), "int32 vs int64 ids");
            assertEquals(0f, a.pooled().maxAbsDiff(b.pooled()), "int32 vs int64 ids, pooled");
        }
    }

    @Test
    void sdModelsStayOnOneEncoderAndRejectPrompts2() {
        TextEncoderStage.Encoded e = sd15.encode(List.of("a"));
        assertNull(e.pooled());
        assertTrue(e.prompts2().isEmpty());
        assertFalse(sd15.hasSecondEncoder());
        SdException x = assertThrows(SdException.class, () -> sd15.encode(List.of("a"), List.of("b")));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, x.kind());
        assertTrue(x.getMessage().startsWith("prompts_2: model 'tiny-sd15'"), x.getMessage());
    }

    @Test
    void prompts2MustHaveOneEntryPerPrompt() {
        SdException x = assertThrows(SdException.class, () -> sdxl.encode(List.of("a", "b"), List.of("c")));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, x.kind());
        assertTrue(x.getMessage().startsWith("prompts_2: 1 entries for 2 prompts"), x.getMessage());
        SdException tooLong = assertThrows(SdException.class, () -> sdxl.encode(List.of("a"), List.of("x".repeat((1 << 20) + 1))));
        assertTrue(tooLong.getMessage().startsWith("prompts_2[0]:"), tooLong.getMessage());
    }

    @Test
    void missingSecondTokenizerOrEncoderIsNotFoundNamingThePart(@TempDir Path root) throws IOException {
        Path src = SharedFixtures.modelsRoot().resolve("tiny-sdxl");
        for (String missing : List.of("tokenizer_2", "text_encoder_2")) {
            Path dst = Files.createDirectories(root.resolve("no-" + missing));
            try (Stream<Path> parts = Files.list(src)) {
                for (Path p : (Iterable<Path>) parts::iterator) {
                    if (!p.getFileName().toString().equals(missing)) Files.createSymbolicLink(dst.resolve(p.getFileName()), p);
                }
            }
        }
        try (TextEncoderModels models = new TextEncoderModels(new ModelRoots(List.of(root), ""), RuntimeOptions.defaults(),
                1, TextEncoderStage.Limits.defaults())) {
            for (String missing : List.of("tokenizer_2", "text_encoder_2")) {
                SdException e = assertThrows(SdException.class, () -> models.acquire("no-" + missing));
                assertEquals(SdException.Kind.NOT_FOUND, e.kind());
                assertEquals("model 'no-" + missing + "' is an SDXL model but has no " + missing + "/"
                        + (missing.equals("text_encoder_2") ? "model.onnx" : ""), e.getMessage());
            }
        }
    }

    private static Path caseDir(String model, String id) {
        return SharedFixtures.dir().resolve("fixtures").resolve(model).resolve("cases").resolve(id);
    }

    private static void assertWithin(FloatTensor expected, FloatTensor got, String what) {
        float d = got.maxAbsDiff(expected);
        assertTrue(d <= TOLERANCE, what + " max abs diff " + d);
    }
}
