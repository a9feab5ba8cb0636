package dev.sdserve.runtime;

import java.util.Locale;

/**
 * The pipeline family of a model folder, as {@link ModelFolder#family()} recognises it from the folder's files
 * (never from its name). Its {@link #id()} is what ListModels reports as the model's kind.
 */
public enum ModelFamily {
    /** Stable Diffusion 1.x: one CLIP text encoder, UNet conditioned on its last hidden state. */
    SD15,
    /** Stable Diffusion 2.x: as SD 1.x with OpenCLIP's text encoder. */
    SD21,
    /**
     * Stable Diffusion XL (base, Turbo): two text encoders whose penultimate hidden states are concatenated, the
     * pooled {@code text_embeds} of the second and {@code time_ids} as extra UNet inputs, 3 up blocks.
     */
    SDXL;

    /** sd15, sd21 or sdxl. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isSdxl() {
        return this == SDXL;
    }

    /** True for diffusers' SDXL pipeline class names, with or without optimum's ORT / Onnx prefix. */
    static boolean isSdxlPipelineClass(String className) {
        String c = className == null ? "" : className.trim();
        if (c.startsWith("ORT")) c = c.substring(3);
        else if (c.startsWith("Onnx")) c = c.substring(4);
        return c.startsWith("StableDiffusionXL") && c.endsWith("Pipeline");
    }
}
