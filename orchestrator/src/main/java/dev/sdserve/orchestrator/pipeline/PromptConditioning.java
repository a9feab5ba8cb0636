package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A generation's UNet conditioning from its prompts, one Encode call: the CFG batch [negative x n, prompt x n]
 * (or [prompt x n] without CFG). SDXL adds, as diffusers' StableDiffusionXLPipeline: the second encoder's
 * prompts (prompt_2 / negative_prompt_2, defaulting to prompt / negative prompt), the pooled embeddings in the
 * same batch order, the time ids, and {@code force_zeros_for_empty_prompt}: with CFG and no negative prompt at
 * all, the negative embeddings and the negative pooled embeddings are zeros and no encoder runs for them.
 */
public final class PromptConditioning {
    private PromptConditioning() {
    }

    /** Encodes {@code req}'s prompts with {@code encoder} and lays out the UNet batch. */
    public static UnetConditioning encode(GenerationRequest req, TextEncoderClient encoder) {
        boolean xl = req.model().isSdxl();
        boolean zeroNegatives = zeroNegatives(req);
        boolean encodeNegatives = req.cfg() && !zeroNegatives;
        SdxlInputs x = req.sdxl();
        List<String> prompts = encodeNegatives ? List.of(req.negativePrompt(), req.prompt()) : List.of(req.prompt());
        List<String> prompts2 = !xl ? List.of() : encodeNegatives
                ? List.of(x.negativePrompt2Or(req.negativePrompt()), x.prompt2Or(req.prompt()))
                : List.of(x.prompt2Or(req.prompt()));
        TextEmbeddings e = encoder.encode(req.model().name(), prompts, prompts2);
        requireRows("hidden states", e.hiddenStates(), prompts.size());
        if (!xl) return UnetConditioning.of(batch(e.hiddenStates(), req, zeroNegatives));
        FloatTensor pooled = e.pooled().orElseThrow(() -> SdException.internal(
                "text-encoder-service returned no pooled embeddings for SDXL model " + req.model().name(), null));
        requireRows("pooled embeddings", pooled, prompts.size());
        int rows = req.nImages() * (req.cfg() ? 2 : 1);
        return new UnetConditioning(batch(e.hiddenStates(), req, zeroNegatives), Optional.of(batch(pooled, req, zeroNegatives)),
                Optional.of(x.size().timeIds(req.height(), req.width(), rows)));
    }

    /**
     * diffusers' {@code zero_out_negative_prompt}: SDXL, CFG on, the model's {@code force_zeros_for_empty_prompt}
     * (true when model_index.json does not say), and neither negative prompt given.
     */
    static boolean zeroNegatives(GenerationRequest req) {
        return req.model().isSdxl() && req.cfg() && req.negativePrompt().isEmpty()
                && req.sdxl().negativePrompt2().isEmpty() && forceZerosForEmptyPrompt(req.model());
    }

    static boolean forceZerosForEmptyPrompt(ModelFolder model) {
        return model.modelIndex().path("force_zeros_for_empty_prompt").asBoolean(true);
    }

    /**
     * [negative x n, prompt x n] from the encoded rows ([negative, prompt], or [prompt] when the negative half is
     * zeros or CFG is off).
     */
    private static FloatTensor batch(FloatTensor encoded, GenerationRequest req, boolean zeroNegatives) {
        List<FloatTensor> rows = new ArrayList<>();
        FloatTensor prompt = encoded.slice0((int) encoded.dim(0) - 1, (int) encoded.dim(0));
        if (req.cfg()) {
            FloatTensor negative = zeroNegatives ? FloatTensor.zeros(prompt.shape()) : encoded.slice0(0, 1);
            rows.addAll(Collections.nCopies(req.nImages(), negative));
        }
        rows.addAll(Collections.nCopies(req.nImages(), prompt));
        return FloatTensor.concat0(rows);
    }

    private static void requireRows(String what, FloatTensor t, int rows) {
        if (t.rank() < 2 || t.dim(0) != rows) {
            throw SdException.internal("text-encoder-service returned " + what + " " + t + " for " + rows + " prompts", null);
        }
    }
}
