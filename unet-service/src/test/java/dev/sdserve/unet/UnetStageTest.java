package dev.sdserve.unet;

import static dev.sdserve.runtime.SharedFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.TensorCodec;
import java.util.Map;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** UNet numerics against the torch fixtures, and DeepCache's shallow graph against the full one. */
class UnetStageTest {
    static UnetStage branch0;

    @BeforeAll
    static void load() {
        branch0 = TinyUnet.shared(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"unet_0", "unet_1", "unet_2"})
    void fullGraphMatchesTorchOutputAndCacheFeature(String id) {
        Path dir = TinyUnet.unetCase(id);
        FloatTensor sample = tensor(dir.resolve("sample.f32"));
        try (UnetStage.Inputs ehs = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")))) {
            UnetStage.FullRun r = branch0.runFull(sample, TinyUnet.timesteps(dir), ehs);
            try (Feature f = r.feature()) {
                assertTrue(r.noisePred().maxAbsDiff(tensor(dir.resolve("out_sample.f32"))) < 2e-5);
                assertTrue(TinyUnet.copy(f.tensor()).maxAbsDiff(tensor(dir.resolve("cache_feature.f32"))) < 2e-5);
            }
        }
    }

    /** A stored feature keeps only its counted tensor alive: the rest of the ORT result is freed at once. */
    @Test
    void aFeatureKeepsOnlyItsCountedTensorOfTheRunResult() throws Exception {
        Path dir = TinyUnet.unetCase("unet_0");
        FloatTensor sample = tensor(dir.resolve("sample.f32"));
        String cut = branch0.description().cacheTensor();
        try (OrtSessions.Loaded full = UnetStage.open(branch0.graphs().full(), branch0.graphs().fullWeightsFolder(),
                RuntimeOptions.defaults());
             OnnxTensor x = TensorCodec.toOnnx(sample, full.session(), UnetStage.SAMPLE);
             OnnxTensor t = UnetStage.timestepInput(full.session()).toOnnx(TinyUnet.timesteps(dir), (int) sample.dim(0));
             UnetStage.Inputs ehs = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")))) {
            OrtSession.Result r = full.session().run(Map.of(UnetStage.SAMPLE, x, UnetStage.TIMESTEP, t, UnetStage.TEXT,
                    ehs.get(UnetStage.TEXT)));
            OnnxValue outSample = r.get("out_sample").orElseThrow();
            assertTrue(r.size() >= 2, "the full graph returns out_sample and the cut tensors");
            Feature f = Feature.keepOnly(r, cut, sample.shape());
            for (Map.Entry<String, OnnxValue> e : r) {
                assertEquals(!e.getKey().equals(cut), e.getValue().isClosed(), e.getKey());
            }
            assertTrue(outSample.isClosed(), "out_sample is freed, not kept alive by the feature");
            TensorInfo info = f.tensor().getInfo();
            assertEquals(info.getNumElements() * 4, f.bytes(), "bytes = the one tensor kept");
            assertTrue(TinyUnet.copy(f.tensor()).maxAbsDiff(tensor(dir.resolve("cache_feature.f32"))) < 2e-5);
            f.close();
            assertTrue(f.tensor().isClosed());
        }
        UnetStage.FullRun run;
        try (UnetStage.Inputs ehs = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")))) {
            run = branch0.runFull(sample, TinyUnet.timesteps(dir), ehs);
        }
        try (Feature f = run.feature()) {
            assertEquals(f.tensor(), f.owner(), "runFull's feature owns only its tensor");
        }
    }

    @Test
    void shallowStepOnAnEarlierFullStepMatchesDeepCachePartial() {
        Path dir = TinyUnet.unetCase("deepcache_partial_0");
        FloatTensor sampleA = tensor(dir.resolve("sample_a.f32"));
        FloatTensor sampleB = tensor(dir.resolve("sample_b.f32"));
        try (UnetStage.Inputs ehsA = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states_a.f32")));
             UnetStage.Inputs ehsB = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states_b.f32")))) {
            UnetStage.FullRun a = branch0.runFull(sampleA, new double[] {901}, ehsA);
            try (Feature cached = a.feature()) {
                assertTrue(a.noisePred().maxAbsDiff(tensor(dir.resolve("out_sample_a_full.f32"))) < 2e-5);
                assertTrue(TinyUnet.copy(cached.tensor()).maxAbsDiff(tensor(dir.resolve("cache_feature_a.f32"))) < 2e-5);
                FloatTensor b = branch0.runShallow(sampleB, new double[] {851}, ehsB, cached).noisePred();
                assertTrue(b.maxAbsDiff(tensor(dir.resolve("out_sample_b_partial.f32"))) < 2e-5);
                // the partial result really differs from a full call on B
                assertTrue(b.maxAbsDiff(tensor(dir.resolve("out_sample_b_full.f32"))) > 1e-3);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void shallowOnItsOwnFullFeatureEqualsFull(int branch) {
        UnetStage stage = TinyUnet.shared(branch);
        {
            Path dir = TinyUnet.unetCase("unet_2");
            FloatTensor sample = tensor(dir.resolve("sample.f32"));
            double[] t = TinyUnet.timesteps(dir);
            try (UnetStage.Inputs ehs = stage.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")))) {
                UnetStage.FullRun full = stage.runFull(sample, t, ehs);
                try (Feature f = full.feature()) {
                    FloatTensor shallow = stage.runShallow(sample, t, ehs, f).noisePred();
                    assertTrue(shallow.maxAbsDiff(full.noisePred()) < 1e-5, "branch " + branch);
                }
            }
            UnetStage.Description d = stage.description();
            assertTrue(d.shallowNodes() < d.fullNodes() && d.shallowMacs() < d.fullMacs() && d.shallowMacs() > 0, d.toString());
        }
    }

    /**
     * The README's MAC figures for tiny-sd15 at 32x32 (full 1.022 GMAC; shallow 0.126, 0.362, 0.706 for branches
     * 0, 1, 3), from Describe and from tools/reference/unet_macs.py, an independent count from the UNet's config.
     */
    @Test
    void macsMatchTheReadmeAndTheIndependentCount() throws Exception {
        com.fasterxml.jackson.databind.JsonNode ref = dev.sdserve.runtime.Json.MAPPER.readTree(
                Path.of("..", "tools", "reference", "unet_macs.json").toFile());
        assertEquals("tiny-sd15", ref.path("model").asText());
        Map<Integer, Double> readmeShallow = Map.of(0, 0.126, 1, 0.362, 3, 0.706);
        for (com.fasterxml.jackson.databind.JsonNode row : ref.path("branches")) {
            int branch = row.path("branch").asInt();
            UnetStage.Description d = TinyUnet.shared(branch).description();
            assertEquals(1.022, Math.round(d.fullMacs() / 1e6) / 1e3, 0.0, "README: full 1.022 GMAC");
            assertEquals(readmeShallow.get(branch), Math.round(d.shallowMacs() / 1e6) / 1e3, 0.0, "README, branch " + branch);
            assertEquals(row.path("full_macs").asDouble(), d.fullMacs(), 1e-3 * d.fullMacs(), "reference, full");
            assertEquals(row.path("shallow_macs").asDouble(), d.shallowMacs(), 1e-3 * d.shallowMacs(),
                    "reference, branch " + branch);
        }
    }

    @Test
    void describesTheCutAndTheSaving() {
        UnetStage.Description d = branch0.description();
        assertEquals("/up_blocks.3/attentions.1/Add_output_0", d.cacheTensor());
        assertEquals(323, d.shallowNodes());
        assertEquals("cpu", d.executionProvider());
        // conv_in alone is 32*32*32 outputs x 4*3*3 MACs; the shallow graph holds it and much more
        assertTrue(d.shallowMacs() > 32L * 32 * 32 * 36);
        assertTrue(d.fullMacs() > 3 * d.shallowMacs(), d.toString());
    }

    @Test
    void rejectsBadSamplesWithInvalidArgument() {
        assertInvalid(() -> branch0.checkSample(FloatTensor.zeros(2, 4, 32), 2), "expected [batch, 4, height, width]");
        assertInvalid(() -> branch0.checkSample(FloatTensor.zeros(2, 3, 32, 32), 2), "4 latent channels");
        assertInvalid(() -> branch0.checkSample(FloatTensor.zeros(1, 4, 32, 32), 2), "does not match");
        assertInvalid(() -> branch0.checkSample(FloatTensor.zeros(2, 4, 30, 32), 2), "multiples of 8");
        assertInvalid(() -> branch0.embeddings(FloatTensor.zeros(2, 77, 16)), "32-wide");
        float[] nan = new float[2 * 4 * 32 * 32];
        nan[17] = Float.NaN;
        assertInvalid(() -> branch0.checkSample(FloatTensor.of(new long[] {2, 4, 32, 32}, nan), 2), "sample: contains NaN or Inf");
        float[] inf = new float[2 * 77 * 32];
        inf[5] = Float.POSITIVE_INFINITY;
        assertInvalid(() -> branch0.embeddings(FloatTensor.of(new long[] {2, 77, 32}, inf)),
                "encoder_hidden_states: contains NaN or Inf");
        Path dir = TinyUnet.unetCase("unet_0");
        try (UnetStage.Inputs ehs = branch0.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")));
             Feature f = branch0.runFull(tensor(dir.resolve("sample.f32")), new double[] {981}, ehs).feature()) {
            assertInvalid(() -> branch0.runShallow(FloatTensor.zeros(2, 4, 24, 32), new double[] {981}, ehs, f),
                    "differs from the sample the cached feature");
            assertInvalid(() -> branch0.runFull(FloatTensor.zeros(2, 4, 32, 32), new double[] {1, 2, 3}, ehs), "3 values");
        }
    }

    static void assertInvalid(Runnable r, String messagePart) {
        SdException e = assertThrows(SdException.class, r::run);
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }
}
