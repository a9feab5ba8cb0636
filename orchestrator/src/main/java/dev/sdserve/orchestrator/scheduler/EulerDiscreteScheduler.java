package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/**
 * diffusers' EulerDiscreteScheduler: Euler's method on the probability-flow ODE in σ (Karras et al. 2022,
 * algorithm 2) with s_churn = 0, so no step draws noise. Timesteps default to 'linspace' spacing and can be
 * fractional (e.g. 946.4211); σ is interpolated linearly in t, or spaced as Karras et al. ("Euler Karras",
 * {@code use_karras_sigmas}) with the timesteps mapped back from them (961.733, ...).
 */
public final class EulerDiscreteScheduler extends SigmaScheduler {
    static final String NAME = "EulerDiscreteScheduler";

    private final PredictionType prediction;
    private final String displayName;

    public EulerDiscreteScheduler(SchedulerConfig c, int steps) {
        super(validated(c), sigmaTimesteps(c, steps, NAME, true), "sigma_min".equals(c.final_sigmas_type()),
                c.use_karras_sigmas() ? Spacing.KARRAS_CONFIG_RANGE : Spacing.INTERPOLATED);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME, PredictionType.values());
        this.displayName = c.use_karras_sigmas() ? "Euler Karras" : "Euler";
    }

    private static SchedulerConfig validated(SchedulerConfig c) {
        c.requireValidBase(NAME);
        requireKarrasOrLinearSigmas(c, NAME);
        SchedulerConfig.off(c.rescale_betas_zero_snr(), "rescale_betas_zero_snr", NAME);
        SchedulerConfig.oneOf(c.interpolation_type(), "interpolation_type", NAME, "linear");
        SchedulerConfig.oneOf(c.timestep_type(), "timestep_type", NAME, "discrete");
        SchedulerConfig.oneOf(c.final_sigmas_type(), "final_sigmas_type", NAME, "zero", "sigma_min");
        return c;
    }

    /**
     * With γ = 0, σ̂ = σ: x̂_0 from the prediction, d = (x − x̂_0) / σ̂, x_next = x + d (σ_next − σ̂).
     */
    @Override
    protected FloatTensor step(FloatTensor modelOutput, int index, FloatTensor sample) {
        float sigmaHat = sigmas[index];
        FloatTensor x0 = predictOriginal(prediction, sigmaHat, modelOutput, sample);
        float dt = sigmas[index + 1] - sigmaHat;
        return Latents.zip(sample, x0, (x, p) -> x + (x - p) / sigmaHat * dt);
    }

    @Override
    public String displayName() {
        return displayName;
    }
}
