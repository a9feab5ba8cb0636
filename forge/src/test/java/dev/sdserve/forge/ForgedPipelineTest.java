package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Forges sd15 and sd21 at scale 0.1 and runs every part with ONNX Runtime, as the pipeline would. */
class ForgedPipelineTest {
    @TempDir
    static Path tmp;
    private static final Map<String, ForgeResult> FORGED = new ConcurrentHashMap<>();

    /** Each preset is forged once for the whole class. */
    private static ForgeResult forged(String preset) {
        return FORGED.computeIfAbsent(preset, p -> Forge.forge(new ForgeSpec(p, 0.1, 7), tmp.resolve(p)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sd15", "sd21"})
    void everyPartRunsAndGivesFiniteVaryingOutputs(String preset) throws Exception {
        ForgeResult forged = forged(preset);
        ModelFolder folder = ModelFolder.open(preset, forged.dir());
        ModelDims.Text text = forged.dims().text();
        int d = text.hidden();

        FloatTensor emb = encodeAndCheckPooler(folder, text);
        FloatTensor noise = unetCheck(folder, emb, d);
        FloatTensor image = Onnx.run(folder.onnx(ModelFolder.Part.VAE_DECODER),
                Map.of("latent_sample", Onnx.floats(noise.slice0(0, 1).scale(1f / 0.18215f)))).get("sample");
        assertArrayEquals(new long[] {1, 3, 256, 256}, image.shape());
        assertTrue(image.allFinite() && Onnx.nonConstant(image), "decoded image finite and varying");

        FloatTensor pixels = random(3, 1, 3, 64, 64);
        FloatTensor latent = Onnx.run(folder.onnx(ModelFolder.Part.VAE_ENCODER),
                Map.of("sample", Onnx.floats(pixels))).get("latent_sample");
        assertArrayEquals(new long[] {1, 4, 8, 8}, latent.shape());
        assertTrue(latent.allFinite() && Onnx.nonConstant(latent), "encoder mean finite and varying");

        assertEquals(preset, folder.kind());
        assertEquals(0.18215, folder.vaeScalingFactor(), 1e-12);
        assertEquals(512, folder.nativeSize());
        assertEquals("PNDMScheduler", folder.defaultScheduler());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sd15", "sd21"})
    void inputAndOutputNamesAndTypesMatchTinySd15(String preset) throws Exception {
        SharedFixtures.assume();
        ForgeResult forged = forged(preset);
        for (String part : Forge.parts(forged.dims())) {
            Path ours = forged.dir().resolve(part).resolve("model.onnx");
            Path ref = SharedFixtures.tinyModel().resolve(part).resolve("model.onnx");
            assertEquals(Onnx.signature(ref), Onnx.signature(ours), part + " inputs/outputs");
        }
    }

    /** Runs the text encoder on the forged tokenizer's ids and on CLIP's own special ids. */
    private static FloatTensor encodeAndCheckPooler(ModelFolder folder, ModelDims.Text text) throws Exception {
        int[] ids = new int[2 * 77];
        Arrays.fill(ids, text.padId());
        int[] row0 = {text.bosId(), 600, 700, 800, text.eosId()};
        System.arraycopy(row0, 0, ids, 0, row0.length);
        ids[77] = text.bosId();
        ids[78] = text.eosId();
        Map<String, FloatTensor> out = Onnx.run(folder.onnx(ModelFolder.Part.TEXT_ENCODER),
                Map.of("input_ids", Onnx.ints(new long[] {2, 77}, ids)));
        FloatTensor last = out.get("last_hidden_state");
        FloatTensor pooled = out.get("pooler_output");
        int d = text.hidden();
        assertArrayEquals(new long[] {2, 77, d}, last.shape());
        assertArrayEquals(new long[] {2, d}, pooled.shape());
        assertTrue(last.allFinite() && Onnx.nonConstant(last));
        // pooler_output is the hidden state at each row's first <|endoftext|>: positions 4 and 1
        float[] l = last.toArray();
        float[] p = pooled.toArray();
        for (int k = 0; k < d; k++) {
            assertEquals(l[4 * d + k], p[k], 0f);
            assertEquals(l[(77 + 1) * d + k], p[d + k], 0f);
        }
        int[] clipIds = new int[77];
        Arrays.fill(clipIds, 49407);
        clipIds[0] = 49406;
        clipIds[1] = 320;
        FloatTensor clip = Onnx.run(folder.onnx(ModelFolder.Part.TEXT_ENCODER),
                Map.of("input_ids", Onnx.ints(new long[] {1, 77}, clipIds))).get("last_hidden_state");
        assertTrue(clip.allFinite(), "any CLIP id < 49408 is a valid input");
        return last;
    }

    /** One UNet call at t=981, then the same call with another t and other embeddings: outputs must move. */
    private static FloatTensor unetCheck(ModelFolder folder, FloatTensor emb, int d) throws Exception {
        try (OrtSessions.Loaded unet = OrtSessions.open(folder.onnx(ModelFolder.Part.UNET), RuntimeOptions.defaults())) {
            return unetCheck(unet.session(), emb, d);
        }
    }

    private static FloatTensor unetCheck(OrtSession unet, FloatTensor emb, int d) throws Exception {
        FloatTensor sample = random(1, 2, 4, 32, 32);
        FloatTensor out = unetCall(unet, sample, 981f, emb);
        assertArrayEquals(new long[] {2, 4, 32, 32}, out.shape());
        assertTrue(out.allFinite() && Onnx.nonConstant(out), "noise prediction finite and varying");
        assertTrue(out.maxAbsDiff(unetCall(unet, sample, 1f, emb)) > 1e-6, "output depends on the timestep");
        FloatTensor otherEmb = random(2, 2, 77, d);
        assertTrue(out.maxAbsDiff(unetCall(unet, sample, 981f, otherEmb)) > 1e-6, "output depends on the text");
        FloatTensor otherSample = random(4, 2, 4, 32, 32);
        assertTrue(out.maxAbsDiff(unetCall(unet, otherSample, 981f, emb)) > 1e-6, "output depends on the sample");
        return out;
    }

    private static FloatTensor unetCall(OrtSession unet, FloatTensor sample, float t, FloatTensor emb) throws Exception {
        return Onnx.run(unet, Map.of("sample", Onnx.floats(sample),
                "timestep", Onnx.floats(FloatTensor.of(new long[] {2}, new float[] {t, t})),
                "encoder_hidden_states", Onnx.floats(emb))).get("out_sample");
    }

    static FloatTensor random(long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[(int) FloatTensor.elementCount(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return FloatTensor.of(shape, v);
    }
}
