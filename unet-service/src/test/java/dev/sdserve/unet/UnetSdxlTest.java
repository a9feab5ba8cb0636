package dev.sdserve.unet;

import static dev.sdserve.runtime.SharedFixtures.tensor;
import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxJavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.unet.graph.CutFinder;
import dev.sdserve.unet.graph.DerivedGraphs;
import dev.sdserve.unet.graph.GraphIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SDXL's UNet (tiny-sdxl): the cut per branch against manifest-sdxl.json, each graph fed only what it declares,
 * the per-session text_embeds/time_ids, and whole DeepCache runs of the fixture cases reproduced step by step
 * (the UNet stage plus Euler's arithmetic, as diffusers' StableDiffusionXLPipeline with DeepCacheSDHelper ran them).
 */
class UnetSdxlTest {
    private static final Map<Integer, UnetStage> STAGES = new ConcurrentHashMap<>();

    static ModelFolder folder() {
        Path p = SharedFixtures.modelsRoot().resolve("tiny-sdxl");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(p), "skipped: " + p + " absent");
        return ModelFolder.open("tiny-sdxl", p);
    }

    /** A stage shared by the tests of this class; never closed (the JVM ends). */
    static UnetStage stage(int branch) {
        return STAGES.computeIfAbsent(branch, b -> UnetStage.load(folder(), b, TinyUnet.settings(), RuntimeOptions.defaults()));
    }

    static Path caseDir(String id) {
        return SharedFixtures.dir().resolve("fixtures/tiny-sdxl/cases").resolve(id);
    }

    static JsonNode manifest() {
        return SharedFixtures.json(SharedFixtures.dir().resolve("fixtures/manifest-sdxl.json"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void cutMatchesTheManifest(int branch) {
        JsonNode m = manifest().path("deepcache_cut").path("branch_" + branch);
        GraphIndex g = new GraphIndex(DerivedGraphs.parse(folder().onnx(ModelFolder.Part.UNET)).getGraph());
        assertEquals(3, CutFinder.upBlocks(g));
        assertEquals(9, CutFinder.branches(g));
        CutFinder.Cut cut = CutFinder.find(g, branch, Optional.empty());
        assertEquals(m.path("cache_tensor").asText(), cut.tensor());
        assertEquals(m.path("concat_node").asText(), cut.concatNode());
        assertEquals(m.path("cache_tensor").asText(), stage(branch).description().cacheTensor());
    }

    @Test
    void everyBranchCutsADistinctUpPathTensorAndTheRangeIsTheModelsOwn() {
        GraphIndex g = new GraphIndex(DerivedGraphs.parse(folder().onnx(ModelFolder.Part.UNET)).getGraph());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int b = 0; b < 9; b++) {
            CutFinder.Cut cut = CutFinder.find(g, b, Optional.empty());
            assertTrue(cut.concatNode().startsWith("/up_blocks." + (2 - b / 3) + "/"), cut.toString());
            assertTrue(seen.add(cut.tensor()), cut.toString());
        }
        SdException e = assertThrows(SdException.class, () -> CutFinder.find(g, 9, Optional.empty()));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("cache_branch: 9 is out of range 0..8"), e.getMessage());
    }

    /** Branches 0-2 cut inside SDXL's last up block, which has no attention: their shallow graph takes no text. */
    @Test
    void eachGraphDeclaresOnlyWhatItReads() {
        for (int b : new int[] {0, 1, 2, 3}) {
            UnetStage.Description d = stage(b).description();
            assertEquals(List.of("sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"), d.fullInputs());
            assertEquals(b >= 3, d.shallowInputs().contains("encoder_hidden_states"), b + ": " + d.shallowInputs());
            assertTrue(d.shallowInputs().containsAll(List.of("sample", "timestep", "text_embeds", "time_ids", d.cacheTensor())),
                    d.shallowInputs().toString());
            assertEquals(9, d.cacheBranches());
            assertTrue(d.shallowMacs() > 0 && d.shallowMacs() < d.fullMacs(), d.toString());
        }
        assertTrue(stage(0).takesSdxlConditioning());
        assertEquals(12, TinyUnet.shared(0).description().cacheBranches());
    }

    /** On the same input, shallow(feature of full) = full, for branches cut with and without text input. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 8})
    void shallowOnItsOwnFullFeatureEqualsFull(int branch) {
        Path dir = caseDir("euler_p1_dc3");
        UnetStage s = stage(branch);
        FloatTensor sample = tensor(dir.resolve("latents_init.f32")).concat0(tensor(dir.resolve("latents_steps.f32")).slice0(0, 1)
                .reshape(1, 4, 32, 32));
        try (UnetStage.Inputs in = s.inputs(conditioning(dir, true))) {
            UnetStage.FullRun full = s.runFull(sample, new double[] {901}, in);
            try (Feature f = full.feature()) {
                FloatTensor shallow = s.runShallow(sample, new double[] {901}, in, f).noisePred();
                float d = shallow.maxAbsDiff(full.noisePred());
                assertTrue(d < 1e-5, "branch " + branch + ": " + d);
            }
        }
    }

    /**
     * A fixture case run through this stage with DeepCache's FULL/SHALLOW pattern and Euler's arithmetic: every
     * step's latents within 1e-3 of the pipeline's (fixtures README tolerance is 2e-3 for Euler-family schedulers).
     */
    @ParameterizedTest
    @ValueSource(strings = {"euler_p1nocfg_dc3", "euler_p1_dc3", "euler_p1_dc1"})
    void reproducesTheCaseStepByStep(String id) {
        Path dir = caseDir(id);
        JsonNode c = SharedFixtures.json(dir.resolve("case.json"));
        boolean cfg = c.path("do_classifier_free_guidance").asBoolean();
        float g = (float) c.path("guidance_scale").asDouble();
        JsonNode sched = c.path("scheduler");
        float[] sigmas = floats(sched.path("sigmas"));
        float[] steps = SharedFixtures.f32(dir.resolve("latents_steps.f32"));
        int stepSize = 4 * 32 * 32;
        UnetStage s = stage(c.path("deepcache").path("cache_branch_id").asInt());
        FloatTensor latents = tensor(dir.resolve("latents_init.f32")).scale((float) sched.path("init_noise_sigma").asDouble());
        float worst = 0;
        Feature cached = null;
        try (UnetStage.Inputs in = s.inputs(conditioning(dir, cfg))) {
            JsonNode calls = c.path("unet_calls");
            for (int i = 0; i < calls.size(); i++) {
                double t = calls.get(i).path("t").asDouble();
                float sigma = sigmas[i];
                float scale = (float) Math.sqrt(sigma * sigma + 1f);
                FloatTensor x = FloatTensor.of(latents.shape(), divide(latents.toArray(), scale));
                FloatTensor model = cfg ? x.concat0(x) : x;
                FloatTensor eps;
                if (calls.get(i).path("full_unet").asBoolean()) {
                    if (cached != null) cached.close();
                    UnetStage.FullRun r = s.runFull(model, new double[] {t}, in);
                    cached = r.feature();
                    eps = r.noisePred();
                } else {
                    eps = s.runShallow(model, new double[] {t}, in, cached).noisePred();
                }
                if (cfg) {
                    FloatTensor[] uc = eps.split0(2);
                    eps = FloatTensor.guidance(uc[0], uc[1], g);
                }
                latents = eulerStep(latents, eps, sigma, sigmas[i + 1]);
                float[] want = java.util.Arrays.copyOfRange(steps, i * stepSize, (i + 1) * stepSize);
                float d = latents.maxAbsDiff(FloatTensor.of(latents.shape(), want));
                worst = Math.max(worst, d);
                assertTrue(d <= 1e-3, id + " step " + i + " (t=" + t + "): max abs diff " + d);
            }
        } finally {
            if (cached != null) cached.close();
        }
        assertTrue(latents.maxAbsDiff(tensor(dir.resolve("latents_final.f32"))) <= 1e-3);
        System.out.printf("%s: %d UNet calls, worst step latents diff %.2e%n", id, c.path("unet_calls").size(), worst);
    }

    @Test
    void conditioningIsValidatedNamingTheField() {
        UnetStage s = stage(0);
        Path dir = caseDir("euler_p1_dc3");
        UnetConditioning ok = conditioning(dir, true);
        FloatTensor ehs = ok.encoderHiddenStates();
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, null, ok.timeIds())), "text_embeds: missing");
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, ok.textEmbeds(), null)), "time_ids: missing");
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, FloatTensor.zeros(2, 16), ok.timeIds())),
                "text_embeds: expected [batch, 32]");
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, ok.textEmbeds(), FloatTensor.zeros(2, 5))),
                "time_ids: expected [batch, 6]");
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, FloatTensor.zeros(1, 32), ok.timeIds())),
                "text_embeds: batch 1 does not match the encoder_hidden_states batch 2");
        float[] nan = new float[12];
        nan[4] = Float.NaN;
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(ehs, ok.textEmbeds(), FloatTensor.of(new long[] {2, 6}, nan))),
                "time_ids: contains NaN or Inf");
        UnetStageTest.assertInvalid(() -> s.inputs(new UnetConditioning(FloatTensor.zeros(2, 77, 32), ok.textEmbeds(), ok.timeIds())),
                "64-wide");
        // SD 1.5's UNet has neither input
        UnetStage sd = TinyUnet.shared(0);
        FloatTensor sdEhs = FloatTensor.zeros(2, 77, 32);
        UnetStageTest.assertInvalid(() -> sd.inputs(new UnetConditioning(sdEhs, ok.textEmbeds(), null)),
                "text_embeds: this UNet has no text_embeds input");
        UnetStageTest.assertInvalid(() -> sd.inputs(new UnetConditioning(sdEhs, null, ok.timeIds())),
                "time_ids: this UNet has no time_ids input");
        assertFalse(sd.takesSdxlConditioning());
    }

    @Test
    void sessionsOpenWithTheConditioningAndRejectBranchesBeyondTheModel() {
        try (DenoiseSessions sessions = new DenoiseSessions(new dev.sdserve.runtime.ModelRoots(
                List.of(SharedFixtures.modelsRoot()), "tiny-sd15"), RuntimeOptions.defaults(), TinyUnet.settings(), 2)) {
            Path dir = caseDir("euler_p1nocfg_dc3");
            SdException e = assertThrows(SdException.class, () -> sessions.open("tiny-sdxl", conditioning(dir, false), 9));
            assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().startsWith("cache_branch: 9 is out of range 0..8 (this UNet has 3 up blocks"), e.getMessage());
            try (DenoiseSession s = sessions.open("tiny-sdxl", conditioning(dir, false), 0)) {
                FloatTensor x = tensor(dir.resolve("latents_init.f32"));
                DenoiseSession.StepResult full = s.step(x, 951, DenoiseSession.Mode.FULL);
                DenoiseSession.StepResult shallow = s.step(x, 951, DenoiseSession.Mode.SHALLOW);
                assertEquals(DenoiseSession.Mode.SHALLOW, shallow.modeRun());
                assertTrue(shallow.noisePred().maxAbsDiff(full.noisePred()) < 1e-5);
            }
        }
    }

    @Test
    void timestepTypeAndRankComeFromTheSession() throws Exception {
        assertEquals(new TimestepInput(OnnxJavaType.FLOAT, 0, -1), TimestepInput.of(OnnxJavaType.FLOAT, new long[0]));
        try (var t = TimestepInput.of(OnnxJavaType.INT64, new long[] {1}).toOnnx(new double[] {951.7}, 2)) {
            assertArrayEquals(new long[] {1}, t.getInfo().getShape());
            assertArrayEquals(new long[] {951}, (long[]) t.getValue());
        }
        try (var t = TimestepInput.of(OnnxJavaType.FLOAT, new long[] {-1}).toOnnx(new double[] {951}, 2)) {
            assertArrayEquals(new long[] {2}, t.getInfo().getShape());
        }
    }

    /** The case's conditioning: [negative, positive] with CFG (negative embeddings are zeros in these cases). */
    static UnetConditioning conditioning(Path dir, boolean cfg) {
        FloatTensor ehs = tensor(dir.resolve("prompt_embeds.f32"));
        FloatTensor pooled = tensor(dir.resolve("pooled_prompt_embeds.f32"));
        if (cfg) {
            ehs = tensor(dir.resolve("negative_prompt_embeds.f32")).concat0(ehs);
            pooled = tensor(dir.resolve("negative_pooled_prompt_embeds.f32")).concat0(pooled);
        }
        return new UnetConditioning(ehs, pooled, tensor(dir.resolve("time_ids.f32")));
    }

    /** EulerDiscreteScheduler.step with s_churn 0 and epsilon prediction, in float32 as torch computes it. */
    static FloatTensor eulerStep(FloatTensor sample, FloatTensor eps, float sigma, float sigmaNext) {
        float[] x = sample.toArray();
        float[] e = eps.toArray();
        float dt = sigmaNext - sigma;
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float predOriginal = x[i] - sigma * e[i];
            float derivative = (x[i] - predOriginal) / sigma;
            out[i] = x[i] + derivative * dt;
        }
        return FloatTensor.of(sample.shape(), out);
    }

    private static float[] divide(float[] v, float d) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / d;
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }
}
