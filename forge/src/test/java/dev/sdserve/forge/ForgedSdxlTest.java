package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SDXL forged at tiny-sdxl's exact topology and from the sdxl / sdxl-turbo presets at a small scale: the same
 * graph inputs and outputs as tiny-sdxl (names, dtypes, ranks), the same DeepCache cuts, the same configs, and
 * every part runs in ONNX Runtime with finite outputs that depend on their inputs.
 */
class ForgedSdxlTest {
    private static final List<String> PARTS = List.of(Forge.TEXT_ENCODER, Forge.TEXT_ENCODER_2, Forge.UNET,
            Forge.VAE_ENCODER, Forge.VAE_DECODER);

    @TempDir
    static Path tmp;
    static Path exact;
    static ForgeResult small;
    static ForgeResult turbo;

    @BeforeAll
    static void forge() {
        exact = Forge.forge(ReferenceDims.TINY_SDXL, 0, tmp.resolve("tiny-sdxl-forged"), ForgeOptions.defaults()).dir();
        small = Forge.forge(new ForgeSpec("sdxl", 0.1, 7), tmp.resolve("sdxl"));
        turbo = Forge.forge(new ForgeSpec("sdxl-turbo", 0.05, 7), tmp.resolve("sdxl-turbo"));
    }

    @Test
    void inputAndOutputNamesTypesAndRanksMatchTinySdxl() throws Exception {
        Path ref = ReferenceDims.tinySdxl();
        for (String part : PARTS) {
            List<String> expected = Onnx.signature(ref.resolve(part).resolve("model.onnx"));
            assertEquals(expected, Onnx.signature(exact.resolve(part).resolve("model.onnx")), "exact " + part);
            // other depths have another number of hidden_states.* outputs, each alike
            for (Path forged : List.of(small.dir(), turbo.dir())) {
                assertEquals(anyDepth(expected), anyDepth(Onnx.signature(forged.resolve(part).resolve("model.onnx"))),
                        forged + " " + part);
            }
        }
        // e.g. "in timestep:FLOAT:0" (a scalar) and "in input_ids:INT64:2", as the manifest lists them
        assertTrue(Onnx.signature(small.dir().resolve("unet/model.onnx")).contains("in timestep:FLOAT:0"));
        assertTrue(Onnx.signature(small.dir().resolve("text_encoder_2/model.onnx")).contains("in input_ids:INT64:2"));
    }

    private static List<String> anyDepth(List<String> signature) {
        return signature.stream().map(l -> l.replaceAll("hidden_states\\.\\d+", "hidden_states.*")).distinct().toList();
    }

    @Test
    void configsAtTheExactTopologyEqualTheManifestsConfigs() {
        JsonNode configs = ReferenceDims.sdxlManifest().path("configs");
        Map<String, String> files = Map.of("unet", "unet", "text_encoder", "text_encoder",
                "text_encoder_2", "text_encoder_2", "vae", "vae_decoder");
        files.forEach((key, dir) -> {
            JsonNode ours = Json.read(exact.resolve(dir).resolve("config.json"));
            for (Iterator<String> it = configs.path(key).fieldNames(); it.hasNext(); ) {
                String field = it.next();
                assertEquals(configs.path(key).path(field), ours.path(field), dir + " config " + field);
            }
        });
        JsonNode index = Json.read(exact.resolve("model_index.json"));
        assertEquals("StableDiffusionXLPipeline", index.path("_class_name").asText());
        assertTrue(index.path("force_zeros_for_empty_prompt").asBoolean());
        assertEquals("!", Json.read(exact.resolve("tokenizer_2/special_tokens_map.json")).path("pad_token").asText());
        assertEquals("<|endoftext|>", Json.read(exact.resolve("tokenizer/special_tokens_map.json")).path("pad_token").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sdxl", "tiny-sdxl-turbo"})
    void schedulerFilesAreTheReferenceOnes(String reference) {
        Path forged = reference.endsWith("turbo") ? turbo.dir() : small.dir();
        JsonNode ref = Json.read(ReferenceDims.tinySdxl().resolveSibling(reference).resolve("scheduler/scheduler_config.json"));
        JsonNode ours = Json.read(forged.resolve("scheduler/scheduler_config.json"));
        for (Iterator<String> it = ref.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            assertEquals(ref.path(field), ours.path(field), reference + " scheduler " + field);
        }
        assertEquals(ref.path("_class_name"),
                Json.read(forged.resolve("model_index.json")).path("scheduler").path(1), "model_index scheduler");
    }

    @Test
    void everyDeepCacheBranchIsCutAtTheSameConcatAsTinySdxl() throws Exception {
        GraphProto ref = Onnx.graph(ReferenceDims.tinySdxl().resolve("unet/model.onnx"));
        GraphProto ours = Onnx.graph(exact.resolve("unet/model.onnx"));
        JsonNode cuts = ReferenceDims.sdxlManifest().path("deepcache_cut");
        for (int b = 0; b < 9; b++) {
            NodeProto r = cut(ref, b);
            NodeProto o = cut(ours, b);
            assertEquals(r.getName(), o.getName(), "branch " + b + " concat");
            assertEquals(r.getInputList(), o.getInputList(), "branch " + b + " concat inputs");
            if (cuts.has("branch_" + b)) {
                assertEquals(cuts.path("branch_" + b).path("cache_tensor").asText(), o.getInput(0), "branch " + b);
            }
        }
        assertEquals("/up_blocks.2/resnets.1/Div_output_0", cut(ours, 0).getInput(0));
    }

    /** The axis-1 Concat under {@code /up_blocks.{2-b/3}/} feeding {@code resnets.{2-b%3}}: SDXL's branch b. */
    static NodeProto cut(GraphProto g, int branch) {
        String block = "/up_blocks." + (2 - branch / 3) + "/";
        String resnet = block + "resnets." + (2 - branch % 3) + "/";
        List<NodeProto> found = g.getNodeList().stream().filter(n -> n.getOpType().equals("Concat"))
                .filter(n -> n.getName().startsWith(block))
                .filter(n -> Onnx.consumers(g, n.getOutput(0)).stream().anyMatch(c -> c.getName().startsWith(resnet)))
                .toList();
        assertEquals(1, found.size(), "one concat feeds " + resnet);
        return found.get(0);
    }

    @Test
    void theUnetRunsAndDependsOnEveryConditioningInput() throws Exception {
        ModelDims.Unet u = small.dims().unet();
        int pooled = u.textTime().orElseThrow().textEmbedsDim();
        try (OrtSessions.Loaded unet = OrtSessions.open(small.dir().resolve("unet/model.onnx"), RuntimeOptions.defaults())) {
            OrtSession s = unet.session();
            FloatTensor sample = ForgedPipelineTest.random(1, 2, 4, 32, 32);
            FloatTensor ehs = ForgedPipelineTest.random(2, 2, 77, u.crossAttentionDim());
            FloatTensor textEmbeds = ForgedPipelineTest.random(3, 2, pooled);
            FloatTensor timeIds = FloatTensor.of(new long[] {2, 6}, new float[] {256, 256, 0, 0, 256, 256, 256, 256, 0, 0, 256, 256});
            FloatTensor out = call(s, sample, 981f, ehs, textEmbeds, timeIds);
            assertArrayEquals(new long[] {2, 4, 32, 32}, out.shape());
            assertTrue(out.allFinite() && Onnx.nonConstant(out), "noise prediction finite and varying");
            assertTrue(out.maxAbsDiff(call(s, sample, 1f, ehs, textEmbeds, timeIds)) > 1e-6, "depends on t");
            assertTrue(out.maxAbsDiff(call(s, sample, 981f, ForgedPipelineTest.random(4, 2, 77, u.crossAttentionDim()),
                    textEmbeds, timeIds)) > 1e-6, "depends on encoder_hidden_states");
            assertTrue(out.maxAbsDiff(call(s, sample, 981f, ehs, ForgedPipelineTest.random(5, 2, pooled), timeIds)) > 1e-6,
                    "depends on text_embeds");
            FloatTensor cropped = FloatTensor.of(new long[] {2, 6}, new float[] {512, 512, 64, 0, 256, 256, 512, 512, 64, 0, 256, 256});
            assertTrue(out.maxAbsDiff(call(s, sample, 981f, ehs, textEmbeds, cropped)) > 1e-6, "depends on time_ids");
        }
    }

    private static FloatTensor call(OrtSession s, FloatTensor sample, float t, FloatTensor ehs, FloatTensor textEmbeds,
                                    FloatTensor timeIds) throws Exception {
        OnnxTensor timestep = OnnxTensor.createTensor(OrtSessions.env(), t);
        return Onnx.run(s, Map.of("sample", Onnx.floats(sample), "timestep", timestep,
                "encoder_hidden_states", Onnx.floats(ehs), "text_embeds", Onnx.floats(textEmbeds),
                "time_ids", Onnx.floats(timeIds))).get("out_sample");
    }

    @Test
    void textEncodersGiveEveryHiddenStateAndTheProjectedPooledEmbedding() throws Exception {
        for (int i = 0; i < 2; i++) {
            ModelDims.Text t = small.dims().texts().get(i);
            int[] ids = new int[77];
            Arrays.fill(ids, t.padId());
            int[] prompt = {t.bosId(), 600, 700, t.eosId()};
            System.arraycopy(prompt, 0, ids, 0, prompt.length);
            OnnxTensor input = TensorCodec.intsToOnnx(new long[] {1, 77}, ids, OnnxJavaType.INT64);
            Map<String, FloatTensor> out = Onnx.run(small.dir().resolve(PARTS.get(i)).resolve("model.onnx"),
                    Map.of("input_ids", input));
            assertEquals(t.layers() + 1, out.keySet().stream().filter(k -> k.startsWith("hidden_states.")).count());
            for (FloatTensor h : out.values()) assertTrue(h.allFinite() && Onnx.nonConstant(h));
            FloatTensor pooled = out.get(i == 0 ? "pooler_output" : "text_embeds");
            assertArrayEquals(new long[] {1, t.hidden()}, pooled.shape());
            float[] last = out.get("last_hidden_state").toArray();
            if (i == 0) {
                // pooler_output: the final hidden state at the first <|endoftext|> (position 3)
                assertArrayEquals(Arrays.copyOfRange(last, 3 * t.hidden(), 4 * t.hidden()), pooled.toArray(), 0f);
            }
            assertTrue(out.get("hidden_states." + t.layers()).maxAbsDiff(out.get("last_hidden_state")) > 1e-3,
                    "last_hidden_state is the final layer norm of the last hidden state");
        }
    }

    @Test
    void theVaeEncoderGivesBothMomentsAndTheDecoderAnImage() throws Exception {
        FloatTensor params = Onnx.run(small.dir().resolve("vae_encoder/model.onnx"),
                Map.of("sample", Onnx.floats(ForgedPipelineTest.random(3, 1, 3, 64, 64)))).get("latent_parameters");
        assertArrayEquals(new long[] {1, 8, 8, 8}, params.shape());
        assertTrue(params.allFinite() && Onnx.nonConstant(params));
        FloatTensor image = Onnx.run(small.dir().resolve("vae_decoder/model.onnx"),
                Map.of("latent_sample", Onnx.floats(FloatTensor.of(new long[] {1, 4, 8, 8}, Arrays.copyOf(params.toArray(), 256))))).get("sample");
        assertArrayEquals(new long[] {1, 3, 64, 64}, image.shape());
        assertTrue(image.allFinite());
        assertEquals(0.13025, Json.read(small.dir().resolve("vae_decoder/config.json")).path("scaling_factor").asDouble());
    }
}
