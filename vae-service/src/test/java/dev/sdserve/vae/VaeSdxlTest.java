package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The SDXL VAE (tiny-sdxl): scaling_factor 0.13025 from its config, decode to the reference images, latent_parameters. */
class VaeSdxlTest {

    static VaeStage load(String model) {
        Path p = SharedFixtures.modelsRoot().resolve(model);
        Assumptions.assumeTrue(Files.isDirectory(p), "skipped: " + p + " absent");
        return VaeStage.load(ModelFolder.open(model, p), RuntimeOptions.defaults(), VaeLimits.defaults());
    }

    @ParameterizedTest
    @CsvSource({"tiny-sdxl,ddim_p1_dc1", "tiny-sdxl,ddim_p2_dc3", "tiny-sdxl,euler_p1_dc1", "tiny-sdxl,euler_p1_dc3",
            "tiny-sdxl,euler_p1nocfg_dc3", "tiny-sdxl,euler_p2_dc5", "tiny-sdxl-turbo,eulera1_p1_dc1",
            "tiny-sdxl-turbo,eulera4_p2_dc1"})
    void decodesEveryCaseToItsReferenceImage(String model, String id) {
        Path dir = SharedFixtures.dir().resolve("fixtures").resolve(model).resolve("cases").resolve(id);
        try (VaeStage vae = load(model)) {
            assertEquals(0.13025, vae.scalingFactor(), 1e-7);
            DecodedImages out = vae.decode(SharedFixtures.tensor(dir.resolve("latents_final.f32")), 1);
            assertArrayEquals(new long[] {1, 256, 256, 3}, out.image().shape());
            VaeStageTest.assertMatchesReference(dir, out.image(), out.rgb().get(0));
            System.out.printf("%s/%s: image max abs diff %.2e%n", model, id,
                    out.image().maxAbsDiff(SharedFixtures.tensor(dir.resolve("image.f32"))));
        }
    }

    /**
     * A float16 export decodes in float32 (force_upcast, the default): its weights, input and output upcast, so the
     * image stays within float16 weight rounding of the float32 reference; with force_upcast false it stays float16.
     */
    @Test
    void float16ExportDecodesInFloat32WhenForceUpcast(@TempDir Path tmp) throws Exception {
        Path src = SharedFixtures.modelsRoot().resolve("tiny-sdxl");
        Assumptions.assumeTrue(Files.isDirectory(src), "skipped: " + src + " absent");
        Path dir = SharedFixtures.dir().resolve("fixtures/tiny-sdxl/cases/euler_p1_dc1");
        FloatTensor latents = SharedFixtures.tensor(dir.resolve("latents_final.f32"));
        FloatTensor want = SharedFixtures.tensor(dir.resolve("image.f32"));
        Path up = Float16Vae.write(src, tmp.resolve("fp16-upcast"), true);
        try (VaeStage vae = VaeStage.load(ModelFolder.open("fp16-upcast", up), RuntimeOptions.defaults(), VaeLimits.defaults())) {
            assertEquals(OnnxJavaType.FLOAT, vae.decoderType());
            float d = vae.decode(latents, 1).image().maxAbsDiff(want);
            System.out.printf("float16 export upcast: image max abs diff %.2e%n", d);
            assertTrue(d < 5e-3, "float16 weights computed in float32: " + d);
        }
        Path keep = Float16Vae.write(src, tmp.resolve("fp16-keep"), false);
        try (VaeStage vae = VaeStage.load(ModelFolder.open("fp16-keep", keep), RuntimeOptions.defaults(), VaeLimits.defaults())) {
            assertEquals(OnnxJavaType.FLOAT16, vae.decoderType());
        }
        try (VaeStage vae = load("tiny-sdxl")) {
            assertEquals(OnnxJavaType.FLOAT, vae.decoderType());
        }
    }

    /** The SDXL export's encoder gives latent_parameters (mean and log-variance): the mean is its first 4 channels. */
    @Test
    void encoderReadsTheMeanOutOfLatentParameters() {
        Path dir = SharedFixtures.dir().resolve("fixtures/tiny-sdxl/cases/ddim_p1_dc1");
        try (VaeStage vae = load("tiny-sdxl")) {
            FloatTensor pixels = Png.decodePixels(VaeStageTest.read(dir.resolve("image.png")), "image.png", 1 << 20);
            FloatTensor mean = vae.encode(pixels);
            assertArrayEquals(new long[] {1, 4, 32, 32}, mean.shape());
            assertTrue(mean.allFinite());
            // a batch of two gives the same rows
            FloatTensor two = vae.encode(pixels.concat0(pixels));
            assertEquals(0f, two.slice0(1, 2).maxAbsDiff(mean));
        }
    }
}
