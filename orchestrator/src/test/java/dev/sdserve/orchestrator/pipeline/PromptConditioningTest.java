package dev.sdserve.orchestrator.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UNet conditioning of SD and SDXL requests: which prompts reach the encoder(s), the CFG batch order
 * [negative x n, prompt x n], SDXL's zeroed negatives (force_zeros_for_empty_prompt), pooled embeddings and time
 * ids, against hand-computed layouts and the tiny-sdxl fixtures.
 */
class PromptConditioningTest {
    private static final int D = 8;
    private static final int P = 4;

    @TempDir
    Path tmp;

    /** An encoder double: row r of hidden states is all (r+1) + 100 * call, pooled row r all -(r+1). */
    private static final class Encoder implements TextEncoderClient {
        final List<List<String>> prompts = new ArrayList<>();
        final List<List<String>> prompts2 = new ArrayList<>();
        final boolean pooled;

        Encoder(boolean pooled) {
            this.pooled = pooled;
        }

        @Override
        public TextEmbeddings encode(String model, List<String> p, List<String> p2) {
            prompts.add(p);
            prompts2.add(p2);
            float[] h = new float[p.size() * 77 * D];
            float[] q = new float[p.size() * P];
            for (int i = 0; i < h.length; i++) h[i] = i / (77 * D) + 1;
            for (int i = 0; i < q.length; i++) q[i] = -(i / P + 1);
            return new TextEmbeddings(FloatTensor.of(new long[] {p.size(), 77, D}, h),
                    pooled ? Optional.of(FloatTensor.of(new long[] {p.size(), P}, q)) : Optional.empty());
        }
    }

    private ModelFolder model(String name, String modelIndex) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("model_index.json"), modelIndex);
        return new ModelFolder(name, dir);
    }

    private ModelFolder sdxl(boolean forceZeros) throws IOException {
        return model("xl" + forceZeros, "{\"_class_name\": \"ORTStableDiffusionXLPipeline\", "
                + "\"force_zeros_for_empty_prompt\": " + forceZeros + "}");
    }

    /** A 256 (high) x 128 (wide) request. */
    private static GenerationRequest request(ModelFolder m, String prompt, String negative, int n, double guidance,
                                             SdxlInputs sdxl) {
        return request(m, prompt, negative, n, guidance, sdxl, 256, 128);
    }

    private static GenerationRequest request(ModelFolder m, String prompt, String negative, int n, double guidance,
                                             SdxlInputs sdxl, int height, int width) {
        return new GenerationRequest(m, prompt, negative, n, 20, guidance, 1, height, width, "", 1, CacheParams.NONE, 0,
                Optional.empty(), Optional.empty(), false, sdxl);
    }

    /** Every value of rows [from, to) of t equals v. */
    private static void assertRows(FloatTensor t, int from, int to, float v) {
        int per = t.size() / (int) t.dim(0);
        for (int i = from * per; i < to * per; i++) assertEquals(v, t.get(i), "element " + i);
    }

    @Test
    void sdxlWithoutNegativePromptZeroesBothNegativeHalvesAndEncodesOnlyThePrompt() throws IOException {
        Encoder enc = new Encoder(true);
        UnetConditioning c = PromptConditioning.encode(request(sdxl(true), "a cat", "", 2, 5.0, SdxlInputs.NONE), enc);
        assertEquals(List.of(List.of("a cat")), enc.prompts, "no encoder run for the negative");
        assertEquals(List.of(List.of("a cat")), enc.prompts2, "prompt_2 defaults to the prompt");
        assertArrayEquals(new long[] {4, 77, D}, c.encoderHiddenStates().shape());
        assertRows(c.encoderHiddenStates(), 0, 2, 0f);
        assertRows(c.encoderHiddenStates(), 2, 4, 1f);
        FloatTensor pooled = c.textEmbeds().orElseThrow();
        assertArrayEquals(new long[] {4, P}, pooled.shape());
        assertRows(pooled, 0, 2, 0f);
        assertRows(pooled, 2, 4, -1f);
        FloatTensor ids = c.timeIds().orElseThrow();
        assertArrayEquals(new long[] {4, 6}, ids.shape());
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(new float[] {256, 128, 0, 0, 256, 128},
                    java.util.Arrays.copyOfRange(ids.toArray(), r * 6, r * 6 + 6), "(H, W, 0, 0, H, W)");
        }
    }

    @Test
    void sdxlNegativePromptsAreEncodedFirstInTheCfgBatch() throws IOException {
        Encoder enc = new Encoder(true);
        UnetConditioning c = PromptConditioning.encode(request(sdxl(true), "a cat", "blurry", 1, 5.0,
                new SdxlInputs("a cat, oil painting", "", SizeConditioning.DEFAULT)), enc);
        assertEquals(List.of(List.of("blurry", "a cat")), enc.prompts);
        assertEquals(List.of(List.of("blurry", "a cat, oil painting")), enc.prompts2,
                "negative_prompt_2 defaults to the negative prompt; prompt_2 replaces the prompt");
        assertRows(c.encoderHiddenStates(), 0, 1, 1f);
        assertRows(c.encoderHiddenStates(), 1, 2, 2f);
        assertRows(c.textEmbeds().orElseThrow(), 0, 1, -1f);
        assertRows(c.textEmbeds().orElseThrow(), 1, 2, -2f);
    }

    @Test
    void aNegativePrompt2AloneIsEncodedNotZeroed() throws IOException {
        Encoder enc = new Encoder(true);
        PromptConditioning.encode(request(sdxl(true), "a cat", "", 1, 5.0,
                new SdxlInputs("", "low quality", SizeConditioning.DEFAULT)), enc);
        assertEquals(List.of(List.of("", "a cat")), enc.prompts);
        assertEquals(List.of(List.of("low quality", "a cat")), enc.prompts2);
    }

    @Test
    void forceZerosOffEncodesTheEmptyNegativePrompt() throws IOException {
        Encoder enc = new Encoder(true);
        UnetConditioning c = PromptConditioning.encode(request(sdxl(false), "a cat", "", 1, 5.0, SdxlInputs.NONE), enc);
        assertEquals(List.of(List.of("", "a cat")), enc.prompts);
        assertRows(c.encoderHiddenStates(), 0, 1, 1f);
    }

    @Test
    void sdxlWithoutCfgHasOneHalfAndSizeConditioningSetsTheTimeIds() throws IOException {
        Encoder enc = new Encoder(true);
        UnetConditioning c = PromptConditioning.encode(request(sdxl(true), "a cat", "", 3, 0.0,
                new SdxlInputs("", "", new SizeConditioning(1024, 0, 16, 8, 0, 512))), enc);
        assertEquals(List.of(List.of("a cat")), enc.prompts);
        assertArrayEquals(new long[] {3, 77, D}, c.encoderHiddenStates().shape());
        assertArrayEquals(new long[] {3, P}, c.textEmbeds().orElseThrow().shape());
        assertArrayEquals(new float[] {1024, 128, 16, 8, 256, 512},
                java.util.Arrays.copyOf(c.timeIds().orElseThrow().toArray(), 6), "0 = the default of that value");
    }

    @Test
    void sdModelsSendNoSecondPromptsAndGetNoPooledOrTimeIds() throws IOException {
        Encoder enc = new Encoder(false);
        ModelFolder sd = model("sd", "{\"_class_name\": \"StableDiffusionPipeline\"}");
        UnetConditioning c = PromptConditioning.encode(request(sd, "a cat", "", 2, 7.5, SdxlInputs.NONE), enc);
        assertEquals(List.of(List.of("", "a cat")), enc.prompts, "SD encodes the empty negative prompt");
        assertEquals(List.of(List.of()), enc.prompts2);
        assertArrayEquals(new long[] {4, 77, D}, c.encoderHiddenStates().shape());
        assertRows(c.encoderHiddenStates(), 0, 2, 1f);
        assertRows(c.encoderHiddenStates(), 2, 4, 2f);
        assertFalse(c.textEmbeds().isPresent());
        assertFalse(c.timeIds().isPresent());
    }

    /**
     * Every tiny-sdxl and Turbo case: with the encoder answering the case's prompt_embeds and pooled embeddings,
     * the conditioning equals the case's (negative_)prompt_embeds, (negative_)pooled_prompt_embeds and time_ids.
     */
    @Test
    void matchesEveryTinySdxlCase() {
        SharedFixtures.assume();
        int checked = 0;
        for (Path dir : dev.sdserve.orchestrator.scheduler.FixtureCases.sdxlCases()) {
            var json = SharedFixtures.json(dir.resolve("case.json"));
            ModelFolder m = ModelFolder.open(json.path("model").asText(), SharedFixtures.modelsRoot().resolve(json.path("model").asText()));
            FloatTensor embeds = SharedFixtures.tensor(dir.resolve("prompt_embeds.f32"));
            FloatTensor pooled = SharedFixtures.tensor(dir.resolve("pooled_prompt_embeds.f32"));
            TextEncoderClient enc = (model, p, p2) -> {
                assertEquals(List.of(json.path("prompt").asText()), p, dir + ": only the prompt is encoded");
                return new TextEmbeddings(embeds, Optional.of(pooled));
            };
            GenerationRequest req = request(m, json.path("prompt").asText(), json.path("negative_prompt").asText(), 1,
                    json.path("guidance_scale").asDouble(), SdxlInputs.NONE, json.path("height").asInt(),
                    json.path("width").asInt());
            UnetConditioning c = PromptConditioning.encode(req, enc);
            assertEquals(json.path("do_classifier_free_guidance").asBoolean(), req.cfg(), dir.toString());
            FloatTensor wantEmb = embeds;
            FloatTensor wantPooled = pooled;
            if (req.cfg()) {
                assertTrue(json.path("negative_embeddings_zeroed").asBoolean(), dir.toString());
                wantEmb = SharedFixtures.tensor(dir.resolve("negative_prompt_embeds.f32")).concat0(embeds);
                wantPooled = SharedFixtures.tensor(dir.resolve("negative_pooled_prompt_embeds.f32")).concat0(pooled);
            }
            assertEquals(0f, c.encoderHiddenStates().maxAbsDiff(wantEmb), dir + " embeddings");
            assertEquals(0f, c.textEmbeds().orElseThrow().maxAbsDiff(wantPooled), dir + " pooled");
            assertEquals(0f, c.timeIds().orElseThrow().maxAbsDiff(SharedFixtures.tensor(dir.resolve("time_ids.f32"))),
                    dir + " time ids");
            checked++;
        }
        assertEquals(8, checked, "6 tiny-sdxl + 2 Turbo cases");
    }
}
