package dev.sdserve.orchestrator.pipeline;

import java.util.Locale;

/**
 * The {@code parameters} text stored in each PNG, in the layout other Stable Diffusion tools write and read:
 * the prompt, a "Negative prompt:" line, then comma-separated settings.
 */
public final class GenerationParameters {
    private GenerationParameters() {
    }

    /** The text for one image drawn from {@code seed}. */
    public static String text(GenerationRequest req, String sampler, long seed) {
        StringBuilder s = new StringBuilder(req.prompt()).append('\n');
        if (req.cfg() && !req.negativePrompt().isEmpty()) s.append("Negative prompt: ").append(req.negativePrompt()).append('\n');
        s.append(String.format(Locale.ROOT, "Steps: %d, Sampler: %s, CFG scale: %s, Seed: %d, Size: %dx%d, Model: %s",
                req.steps(), sampler, trim(req.guidance()), seed, req.width(), req.height(), req.model().name()));
        CacheParams c = req.cache();
        if (c.interval() > 1) {
            s.append(String.format(Locale.ROOT, ", DeepCache: interval %d branch %d %s", c.interval(), c.branch(),
                    c.nonUniform() ? "non-uniform (center " + trim(c.center()) + ", power " + trim(c.power()) + ")" : "uniform"));
        }
        req.initImage().ifPresent(i -> s.append(", Denoising strength: ").append(trim(i.strength())));
        if (req.initialLatents().isPresent()) s.append(", Initial latents: given");
        return s.toString();
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
