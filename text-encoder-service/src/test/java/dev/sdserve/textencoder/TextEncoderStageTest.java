package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stage against the pipeline fixtures: token ids exact, last_hidden_state within 2e-5 (fixtures README). */
class TextEncoderStageTest {
    static final float TOLERANCE = 2e-5f;
    private static TextEncoderStage stage;

    /** tiny-sd15's text encoder with test limits (at most 4 prompts a call); skips when ../shared is absent. */
    static TextEncoderStage openTiny() {
        SharedFixtures.assume();
        ModelFolder tiny = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "").resolve("tiny-sd15");
        return TextEncoderStage.open(tiny, RuntimeOptions.defaults(), new TextEncoderStage.Limits(4, 200_000));
    }

    @BeforeAll
    static void open() {
        stage = openTiny();
    }

    @AfterAll
    static void close() {
        if (stage != null) stage.close();
    }

    /** CFG cases send [negative, prompt] in one batch, as the orchestrator does; nocfg cases only the prompt. */
    @ParameterizedTest
    @ValueSource(strings = {"pndm_p1_dc1", "pndm_p2_dc1", "pndm_p1nocfg_dc1", "euler_p2nocfg_dc3"})
    void matchesPipelineCase(String id) {
        Path dir = SharedFixtures.fixtures().resolve("cases").resolve(id);
        JsonNode c = SharedFixtures.json(dir.resolve("case.json"));
        boolean cfg = Files.exists(dir.resolve("negative_ids.i32"));
        List<String> prompts = new ArrayList<>();
        if (cfg) prompts.add(c.get("negative_prompt").asText(""));
        prompts.add(c.get("prompt").asText());

        TextEncoderStage.Encoded e = stage.encode(prompts);

        assertArrayEquals(new long[] {prompts.size(), 77, 32}, e.lastHiddenState().shape());
        int row = 0;
        if (cfg) assertRow(e, row++, dir, "negative");
        assertRow(e, row, dir, "prompt");
    }

    private static void assertRow(TextEncoderStage.Encoded e, int row, Path dir, String which) {
        assertArrayEquals(SharedFixtures.i32(dir.resolve(which + "_ids.i32")), e.prompts().get(row).ids(), which + "_ids");
        FloatTensor expected = SharedFixtures.tensor(dir.resolve(which + "_embeds.f32"));
        float diff = e.lastHiddenState().slice0(row, row + 1).maxAbsDiff(expected);
        assertTrue(diff <= TOLERANCE, which + "_embeds max abs diff " + diff);
    }

    @Test
    void readsInt32IdsTypeFromTheSession() {
        assertEquals(OnnxJavaType.INT32, stage.idsType());
    }

    /** The same graph with int64 input_ids (as other exports have it) gives the same embeddings. */
    @Test
    void int64IdsGraphGivesTheSameEmbeddings(@TempDir Path tmp) throws Exception {
        Path model64 = tmp.resolve("model.onnx");
        Int64IdsGraph.rewrite(SharedFixtures.tinyModel().resolve("text_encoder/model.onnx"), model64, "input_ids");
        Path dir = SharedFixtures.fixtures().resolve("cases/pndm_p2_dc1");
        String prompt = SharedFixtures.json(dir.resolve("case.json")).get("prompt").asText();
        try (TextEncoderStage s64 = new TextEncoderStage("tiny-sd15-int64", stage.tokenizer(), model64,
                RuntimeOptions.defaults(), TextEncoderStage.Limits.defaults())) {
            assertEquals(OnnxJavaType.INT64, s64.idsType());
            FloatTensor got = s64.encode(List.of(prompt)).lastHiddenState();
            float diff = got.maxAbsDiff(SharedFixtures.tensor(dir.resolve("prompt_embeds.f32")));
            assertTrue(diff <= TOLERANCE, "int64 graph: max abs diff " + diff);
            assertEquals(0f, got.maxAbsDiff(stage.encode(List.of(prompt)).lastHiddenState()), "int32 vs int64 path");
        }
    }

    @Test
    void hundredKilobytePromptIsTruncatedNotRejected() {
        String prompt = "a red horse, ".repeat(100_000 / 13);
        TextEncoderStage.Encoded e = stage.encode(List.of(prompt, ""));
        assertTrue(e.prompts().get(0).truncated());
        assertEquals(e.prompts().get(0).untruncated().length - 77, e.prompts().get(0).dropped());
        assertTrue(e.lastHiddenState().allFinite());
        assertEquals(0, e.prompts().get(1).dropped());
    }

    @Test
    void rejectsEmptyListOversizedBatchAndOversizedPrompt() {
        SdException empty = assertThrows(SdException.class, () -> stage.encode(List.of()));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, empty.kind());
        assertTrue(empty.getMessage().startsWith("prompts:"), empty.getMessage());

        SdException batch = assertThrows(SdException.class, () -> stage.encode(Collections.nCopies(5, "x")));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, batch.kind());
        assertTrue(batch.getMessage().contains("maximum batch of 4"), batch.getMessage());

        SdException tooLong = assertThrows(SdException.class, () -> stage.tokenize(List.of("ok", "x".repeat(200_001))));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, tooLong.kind());
        assertTrue(tooLong.getMessage().startsWith("prompts[1]:"), tooLong.getMessage());
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(SdException.class, () -> new TextEncoderStage.Limits(0, 10));
    }
}
