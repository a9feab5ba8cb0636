package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;

/**
 * A cheap preview of latents without the VAE: each latent pixel's 4 channels are projected linearly to RGB
 * (the "cheap approximation" coefficients of the SD web UIs for SD 1.x/2.x latents), so the preview is 1/8
 * of the output size. The images of a batch are stacked top to bottom.
 */
public final class LatentPreview {
    /** Rows: latent channels 0..3; columns: R, G, B. */
    private static final float[][] LATENT_TO_RGB = {
        {0.298f, 0.207f, 0.208f},
        {0.187f, 0.286f, 0.173f},
        {-0.158f, 0.189f, 0.264f},
        {-0.184f, -0.271f, -0.473f},
    };

    private LatentPreview() {
    }

    /** The preview of latents [B,4,h,w] (as the loop holds them, not divided by the scaling factor). */
    public static byte[] png(FloatTensor latents) {
        int b = (int) latents.dim(0);
        int h = (int) latents.dim(2);
        int w = (int) latents.dim(3);
        int plane = h * w;
        byte[] rgb = new byte[b * plane * 3];
        for (int n = 0; n < b; n++) {
            int base = n * 4 * plane;
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 3; c++) {
                    float v = 0;
                    for (int k = 0; k < 4; k++) v += latents.get(base + k * plane + p) * LATENT_TO_RGB[k][c];
                    rgb[(n * plane + p) * 3 + c] = toByte((v + 1f) / 2f);
                }
            }
        }
        return Png.encode(new Png.Rgb(w, b * h, rgb));
    }

    private static byte toByte(float unit) {
        return (byte) Math.round(Math.max(0f, Math.min(1f, unit)) * 255f);
    }
}
