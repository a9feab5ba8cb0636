package dev.sdserve.orchestrator.pipeline;

/**
 * The request inputs only SDXL models take (diffusers' StableDiffusionXLPipeline arguments).
 *
 * @param prompt2         the second text encoder's prompt; "" = the same as the prompt
 * @param negativePrompt2 the second text encoder's negative prompt; "" = the same as the negative prompt
 * @param size            the micro-conditioning of {@code time_ids}
 */
public record SdxlInputs(String prompt2, String negativePrompt2, SizeConditioning size) {
    /** Nothing SDXL-specific requested: every default. */
    public static final SdxlInputs NONE = new SdxlInputs("", "", SizeConditioning.DEFAULT);

    /** True when the request set any SDXL-only input. */
    public boolean any() {
        return !prompt2.isEmpty() || !negativePrompt2.isEmpty() || !size.equals(SizeConditioning.DEFAULT);
    }

    /** The second encoder's prompt: {@code prompt2}, else {@code prompt}. */
    public String prompt2Or(String prompt) {
        return prompt2.isEmpty() ? prompt : prompt2;
    }

    /** The second encoder's negative prompt: {@code negativePrompt2}, else {@code negativePrompt}. */
    public String negativePrompt2Or(String negativePrompt) {
        return negativePrompt2.isEmpty() ? negativePrompt : negativePrompt2;
    }
}
