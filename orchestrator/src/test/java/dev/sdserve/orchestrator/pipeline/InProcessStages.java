package dev.sdserve.orchestrator.pipeline;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.ExecutionProvider;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-local stages with no server: the text encoder answers from fixture embeddings, the UNet and the VAE run
 * the tiny model's ONNX files directly in ONNX Runtime, following the fixtures README's pipeline arithmetic.
 * The UNet is FULL-only (it has no DeepCache graph): a SHALLOW request runs FULL and says so, as the contract
 * allows when a feature is gone. It records every requested mode.
 */
final class InProcessStages implements AutoCloseable {
    private static final float SCALING = 0.18215f;

    private final OrtSessions.Loaded unet;
    private final OrtSessions.Loaded decoder;
    private final OrtSessions.Loaded encoder;
    private final Map<String, FloatTensor> embeddings = new HashMap<>();
    final List<StepMode> requestedModes = Collections.synchronizedList(new ArrayList<>());
    final List<Double> timesteps = Collections.synchronizedList(new ArrayList<>());
    volatile int openSessions;

    InProcessStages(ModelFolder model) {
        // one ORT thread: steady timings on a loaded 2-core CI host
        RuntimeOptions cpu = new RuntimeOptions(ExecutionProvider.CPU, 1, "all");
        unet = OrtSessions.open(model.onnx(ModelFolder.Part.UNET), cpu);
        decoder = OrtSessions.open(model.onnx(ModelFolder.Part.VAE_DECODER), cpu);
        encoder = OrtSessions.open(model.onnx(ModelFolder.Part.VAE_ENCODER), cpu);
    }

    /** Makes the text encoder answer {@code prompt} with the [1,77,D] embeddings in {@code file}. */
    void embed(String prompt, Path file) {
        embeddings.put(prompt, SharedFixtures.tensor(file));
    }

    StageClients clients() {
        return new StageClients(this::encodeText, this::open, new Vae());
    }

    private TextEmbeddings encodeText(String model, List<String> prompts, List<String> prompts2) {
        List<FloatTensor> out = new ArrayList<>();
        for (String p : prompts) {
            FloatTensor e = embeddings.get(p);
            if (e == null) throw new IllegalStateException("no fixture embeddings for prompt '" + p + "'");
            out.add(e);
        }
        return TextEmbeddings.of(FloatTensor.concat0(out));
    }

    private DenoiserSession open(String model, UnetConditioning conditioning, int cacheBranch) {
        FloatTensor encoderHiddenStates = conditioning.encoderHiddenStates();
        openSessions++;
        return new DenoiserSession() {
            private boolean closed;

            @Override
            public StepResult step(FloatTensor sample, double t, StepMode mode) {
                requestedModes.add(mode);
                timesteps.add(t);
                float[] ts = new float[(int) sample.dim(0)];
                java.util.Arrays.fill(ts, (float) t);
                FloatTensor out = run(unet.session(), Map.of("sample", sample,
                        "timestep", FloatTensor.of(new long[] {ts.length}, ts),
                        "encoder_hidden_states", encoderHiddenStates));
                return new StepResult(out, StepMode.FULL, false, 0, 0);
            }

            @Override
            public synchronized void close() {
                if (!closed) openSessions--;
                closed = true;
            }
        };
    }

    /** The VAE as diffusers' pipeline uses it: decode latents / 0.18215, clamp(x/2+0.5), round to 8 bits. */
    private final class Vae implements VaeClient {
        @Override
        public List<Png.Rgb> decode(String model, FloatTensor latents) {
            float[] l = latents.toArray();
            for (int i = 0; i < l.length; i++) l[i] /= SCALING;
            FloatTensor img = run(decoder.session(), Map.of("latent_sample", FloatTensor.of(latents.shape(), l)));
            List<Png.Rgb> out = new ArrayList<>();
            int h = (int) img.dim(2);
            int w = (int) img.dim(3);
            for (int b = 0; b < img.dim(0); b++) out.add(toRgb(img, b, h, w));
            return out;
        }

        @Override
        public FloatTensor encode(String model, InitImage image) {
            FloatTensor px = image.pixels() != null ? image.pixels() : Png.decodePixels(image.encoded(), "init_image", 1 << 24);
            float[] v = px.toArray();
            for (int i = 0; i < v.length; i++) v[i] = 2f * v[i] - 1f;
            return run(encoder.session(), Map.of("sample", FloatTensor.of(px.shape(), v)));
        }
    }

    private static Png.Rgb toRgb(FloatTensor img, int b, int h, int w) {
        byte[] rgb = new byte[h * w * 3];
        int plane = h * w;
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < plane; p++) {
                float x = Math.max(0f, Math.min(1f, img.get((b * 3 + c) * plane + p) / 2f + 0.5f));
                rgb[p * 3 + c] = (byte) Math.round(x * 255f);
            }
        }
        return new Png.Rgb(w, h, rgb);
    }

    private static FloatTensor run(OrtSession session, Map<String, FloatTensor> inputs) {
        Map<String, OnnxTensor> onnx = new HashMap<>();
        try {
            inputs.forEach((name, t) -> onnx.put(name, TensorCodec.toOnnx(t, session, name)));
            try (OrtSession.Result r = session.run(onnx)) {
                return TensorCodec.fromOnnx(r.get(0));
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        } finally {
            onnx.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        unet.close();
        decoder.close();
        encoder.close();
    }
}
