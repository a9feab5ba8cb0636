package dev.sdserve.vae;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import java.util.ArrayList;
import java.util.List;

/**
 * The pixel arithmetic around the VAE, in float32 and in the order diffusers does it, so results match the
 * reference images bit for bit where ONNX Runtime's output does.
 */
final class VaeImages {
    private VaeImages() {
    }

    /** {@code latents / scalingFactor}, a float32 division as in diffusers (not a multiply by the inverse). */
    static FloatTensor unscale(FloatTensor latents, float scalingFactor) {
        float[] v = latents.toArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] / scalingFactor;
        return FloatTensor.of(latents.shape(), v);
    }

    /** Pixels in [0, 1] to the encoder's [-1, 1]: {@code 2 * p - 1} (diffusers' VaeImageProcessor.normalize). */
    static FloatTensor toSigned(FloatTensor pixels) {
        float[] v = pixels.toArray();
        for (int i = 0; i < v.length; i++) v[i] = 2f * v[i] - 1f;
        return FloatTensor.of(pixels.shape(), v);
    }

    /**
     * Decoder output {@code [n, 3, H, W]} to the pipeline's float image, NHWC {@code [n, H, W, 3]}:
     * {@code clamp(x / 2 + 0.5, 0, 1)} (StableDiffusionPipeline / VaeImageProcessor.denormalize).
     */
    static FloatTensor toImage(FloatTensor decoded) {
        int n = (int) decoded.dim(0);
        int c = (int) decoded.dim(1);
        int h = (int) decoded.dim(2);
        int w = (int) decoded.dim(3);
        int plane = h * w;
        float[] src = decoded.toArray();
        float[] out = new float[src.length];
        for (int b = 0; b < n; b++) {
            int base = b * c * plane;
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < plane; i++) {
                    float x = src[base + ch * plane + i] / 2f + 0.5f;
                    out[base + i * c + ch] = Math.min(Math.max(x, 0f), 1f);
                }
            }
        }
        return FloatTensor.of(new long[] {n, h, w, c}, out);
    }

    /** One 8-bit value: {@code round(v * 255)} with ties to even, as numpy's round in diffusers' numpy_to_pil. */
    static int quantize(float v) {
        return (int) Math.rint(v * 255f);
    }

    /** NHWC {@code [n, H, W, 3]} in [0, 1] to one 8-bit RGB image per row. */
    static List<Png.Rgb> toRgb(FloatTensor image) {
        int n = (int) image.dim(0);
        int h = (int) image.dim(1);
        int w = (int) image.dim(2);
        int per = h * w * 3;
        List<Png.Rgb> out = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            byte[] rgb = new byte[per];
            for (int i = 0; i < per; i++) rgb[i] = (byte) quantize(image.get(b * per + i));
            out.add(new Png.Rgb(w, h, rgb));
        }
        return out;
    }
}
