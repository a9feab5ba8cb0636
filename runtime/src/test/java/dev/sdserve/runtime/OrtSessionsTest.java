package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OrtSessionsTest {

    @Test
    void unavailableProviderFallsBackToCpu() {
        // The CPU build of ONNX Runtime has neither CUDA nor (on Linux) CoreML.
        for (ExecutionProvider ep : new ExecutionProvider[] {ExecutionProvider.CUDA, ExecutionProvider.COREML, ExecutionProvider.AUTO}) {
            try (OrtSessions.Loaded s = OrtSessions.open(SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx"),
                    new RuntimeOptions(ep, 1, "all"))) {
                assertEquals(ExecutionProvider.CPU, s.provider(), ep.id());
                assertEquals(Map.of(), Map.of());
                assertTrue(s.session().getInputNames().contains("latent_sample"));
            }
        }
    }

    @Test
    void spinningOffRunsTheSameGraphToTheSameNumbers() throws Exception {
        SharedFixtures.assume();
        java.nio.file.Path decoder = SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx");
        java.util.Random rnd = new java.util.Random(7);
        float[] z = new float[4 * 8 * 8];
        for (int i = 0; i < z.length; i++) z[i] = (float) rnd.nextGaussian();
        FloatTensor latents = FloatTensor.of(new long[] {1, 4, 8, 8}, z);
        FloatTensor[] out = new FloatTensor[2];
        boolean[] spinning = {true, false};
        for (int k = 0; k < 2; k++) {
            RuntimeOptions o = new RuntimeOptions(ExecutionProvider.CPU, 2, "all", spinning[k]);
            assertEquals(spinning[k], o.allowSpinning());
            try (OrtSessions.Loaded s = OrtSessions.open(decoder, o);
                 ai.onnxruntime.OnnxTensor in = TensorCodec.toOnnx(latents, s.session(), "latent_sample");
                 ai.onnxruntime.OrtSession.Result r = s.session().run(Map.of("latent_sample", in))) {
                out[k] = TensorCodec.fromOnnx(r.get(0));
            }
        }
        assertEquals(0f, out[0].maxAbsDiff(out[1]), 1e-6f, "spinning changes only how idle threads wait");
        assertTrue(new RuntimeOptions(ExecutionProvider.CPU, 0, "all").allowSpinning(), "ORT's default");
    }

    @Test
    void missingModelIsNotFound() {
        SdException e = assertThrows(SdException.class, () -> OrtSessions.open(java.nio.file.Path.of("/nonexistent/model.onnx"),
                RuntimeOptions.defaults()));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void unknownProviderNameIsRejected() {
        assertEquals(ExecutionProvider.COREML, ExecutionProvider.parse(" CoreML "));
        assertThrows(SdException.class, () -> ExecutionProvider.parse("tpu"));
    }
}
