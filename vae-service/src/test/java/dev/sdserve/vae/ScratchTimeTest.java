package dev.sdserve.vae;

import dev.sdserve.runtime.*;
import org.junit.jupiter.api.Test;

class ScratchTimeTest {
    @Test
    void time() throws Exception {
        try (VaeStage vae = VaeStage.load(ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel()), RuntimeOptions.defaults(), VaeLimits.defaults())) {
            FloatTensor l = SharedFixtures.tensor(SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1/latents_final.f32"));
            for (int i = 0; i < 2; i++) vae.decode(l, 1);
            int n = 10;
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) { long t0 = System.nanoTime(); vae.decode(l, 1); ms[i] = (System.nanoTime() - t0) / 1e6; }
            java.util.Arrays.sort(ms);
            System.out.printf("TIME decode 1x256x256 (incl. clamp+uint8): median %.1f ms, min %.1f ms%n", ms[n / 2], ms[0]);
            FloatTensor l4 = FloatTensor.concat0(java.util.List.of(l, l, l, l));
            long t0 = System.nanoTime();
            for (int i = 0; i < 3; i++) vae.decode(l4, 4);
            System.out.printf("TIME decode 4x256x256 chunk 4: %.1f ms/image%n", (System.nanoTime() - t0) / 1e6 / 12);
            Png.Rgb rgb = vae.decode(l, 1).rgb().get(0);
            t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) Png.encode(rgb);
            System.out.printf("TIME png encode 256x256: %.1f ms%n", (System.nanoTime() - t0) / 1e6 / 10);
            FloatTensor px = Png.decodePixels(java.nio.file.Files.readAllBytes(SharedFixtures.fixtures().resolve("img2img/img2img_ddim_s60_dc1/init.png")), "x", 1<<20);
            vae.encode(px);
            t0 = System.nanoTime();
            for (int i = 0; i < 5; i++) vae.encode(px);
            System.out.printf("TIME encode 1x256x256: %.1f ms%n", (System.nanoTime() - t0) / 1e6 / 5);
        }
    }
}
