package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrtSessionsTest {

    @Test
    void unavailableProviderFallsBackToCpuWithOneLogLine() {
        SharedFixtures.assume();
        // The CPU build of ONNX Runtime has neither CUDA nor (on Linux) CoreML.
        for (ExecutionProvider ep : new ExecutionProvider[] {ExecutionProvider.CUDA, ExecutionProvider.COREML, ExecutionProvider.AUTO}) {
            try (LogCapture log = LogCapture.of(OrtSessions.class);
                 OrtSessions.Loaded s = OrtSessions.open(SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx"),
                    new RuntimeOptions(ep, 1, "all", true, 0, java.util.Set.of(ai.onnxruntime.providers.CoreMLFlags.CPU_AND_GPU)))) {
                assertEquals(ExecutionProvider.CPU, s.provider(), ep.id());
                assertTrue(s.session().getInputNames().contains("latent_sample"));
                List<String> lines = log.messages();
                assertEquals(1, lines.size(), lines.toString());
                assertTrue(lines.get(0).startsWith("execution provider: requested=" + ep.id() + ", using=cpu for model.onnx ("),
                        lines.get(0));
                assertEquals(java.util.logging.Level.WARNING.intValue(), log.records().get(0).getLevel().intValue());
            }
        }
    }

    /** A provider that was added but cannot create the session (a graph it cannot run, a busy device): CPU. */
    @Test
    void aSessionThatFailsOnTheProviderIsCreatedOnCpu() throws Exception {
        SharedFixtures.assume();
        java.nio.file.Path model = SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx");
        List<Boolean> attempts = new ArrayList<>();
        try (LogCapture log = LogCapture.of(OrtSessions.class);
             OrtSessions.Loaded s = OrtSessions.create(model, new RuntimeOptions(ExecutionProvider.CUDA, 1, "all"),
                     so -> { }, so -> {
                         attempts.add(true);
                         if (attempts.size() == 1) throw new ai.onnxruntime.OrtException("CUDA failure 100: no CUDA-capable device");
                         return OrtSessions.env().createSession(model.toString(), so);
                     }, (so, o, m) -> ExecutionProvider.CUDA)) { // pretend the provider was added
            assertEquals(ExecutionProvider.CPU, s.provider());
            assertEquals(2, attempts.size());
            assertEquals(List.of("execution provider: requested=cuda, using=cpu for model.onnx (creating the session on cuda"
                    + " failed: CUDA failure 100: no CUDA-capable device)"), log.messages());
        }
        // on CPU a failure is the model's: FAILED_PRECONDITION, no retry
        SdException e = assertThrows(SdException.class, () -> OrtSessions.create(model, RuntimeOptions.defaults(), so -> { },
                so -> {
                    throw new ai.onnxruntime.OrtException("bad graph");
                }, OrtSessions::addProvider));
        assertEquals(SdException.Kind.FAILED_PRECONDITION, e.kind());
    }

    @Test
    void coremlFlagsAndCudaDeviceAreConfigKeys() {
        assertEquals(java.util.Set.of(ai.onnxruntime.providers.CoreMLFlags.CPU_AND_GPU,
                ai.onnxruntime.providers.CoreMLFlags.CREATE_MLPROGRAM), RuntimeOptions.coremlFlags("cpu_and_gpu, CREATE_MLPROGRAM"));
        assertEquals(java.util.Set.of(), RuntimeOptions.coremlFlags(""));
        assertThrows(SdException.class, () -> RuntimeOptions.coremlFlags("GPU_PLEASE"));
        assertThrows(SdException.class, () -> new RuntimeOptions(ExecutionProvider.CUDA, 0, "all", true, -1, java.util.Set.of()));
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

    /** sd.runtime.profile-dir: the session's trace is written on close, named after the model's folder, with its runs. */
    @Test
    void profilingWritesOneTracePerSessionOnClose(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        SharedFixtures.assume();
        java.nio.file.Path decoder = SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx");
        java.nio.file.Path dir = tmp.resolve("profiles");
        RuntimeOptions o = RuntimeOptions.defaults().withProfiling(dir);
        assertEquals(java.util.Optional.of(dir), o.profileDir());
        try (OrtSessions.Loaded s = OrtSessions.open(decoder, o);
             ai.onnxruntime.OnnxTensor in = TensorCodec.toOnnx(FloatTensor.zeros(1, 4, 8, 8), s.session(), "latent_sample")) {
            assertTrue(s.profiling());
            for (int i = 0; i < 2; i++) s.session().run(Map.of("latent_sample", in)).close();
        }
        java.util.List<java.nio.file.Path> traces;
        try (var files = java.nio.file.Files.list(dir)) {
            traces = files.toList();
        }
        assertEquals(1, traces.size(), traces::toString);
        String name = traces.get(0).getFileName().toString();
        assertTrue(name.startsWith("vae_decoder-model_") && name.endsWith(".json"), name);
        com.fasterxml.jackson.databind.JsonNode events = Json.MAPPER.readTree(traces.get(0).toFile());
        long runs = 0;
        long kernels = 0;
        for (com.fasterxml.jackson.databind.JsonNode e : events) {
            if (e.path("name").asText().equals("model_run")) runs++;
            if (e.path("name").asText().endsWith("_kernel_time")) kernels++;
        }
        assertEquals(2, runs);
        assertTrue(kernels > 10, "node timings are in the trace: " + kernels);
        assertFalse(RuntimeOptions.defaults().profileDir().isPresent(), "off unless asked for");
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
