package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/**
 * Shared part of the k-diffusion style schedulers (Euler, Euler ancestral, LMS): the latents live at noise level
 * σ, the UNet input is x / sqrt(σ² + 1), and σ for each timestep is interpolated from the train schedule
 * ({@code interpolation_type} 'linear') or, with {@code use_karras_sigmas}, spaced as Karras et al. between the
 * ends of that range ({@link KarrasSigmas}), followed by a final σ (0, or σ_min with final_sigmas_type 'sigma_min').
 *
 * <p>The step index is a {@link StepCursor}: it starts at the begin index (img2img) or at the first call's
 * timestep, and advances once per {@code step}.
 */
abstract class SigmaScheduler implements Scheduler {
    protected final float[] sigmas;
    private final double[] timesteps;
    private final StepCursor cursor;
    private final float initNoiseSigma;

    /**
     * @param interpTimesteps descending timesteps at the precision diffusers interpolates them at; they are
     *                        reported rounded to float32, as diffusers stores them in a float32 tensor
     * @param finalSigmaMin   append σ_min (final_sigmas_type 'sigma_min') instead of 0 after the last step
     */
    protected SigmaScheduler(SchedulerConfig c, double[] interpTimesteps, boolean finalSigmaMin) {
        this(c, interpTimesteps, finalSigmaMin, Spacing.INTERPOLATED);
    }

    /** How the σ of the steps are chosen. */
    protected enum Spacing {
        /** σ interpolated in t at the timesteps. */
        INTERPOLATED,
        /**
         * {@link KarrasSigmas} between the interpolated σ of the last and the first timestep, the timesteps mapped
         * back from them by log-σ interpolation (fractional): LMS.
         */
        KARRAS,
        /** KARRAS, with the config's {@code sigma_min}/{@code sigma_max} taking precedence where set: Euler. */
        KARRAS_CONFIG_RANGE
    }

    protected SigmaScheduler(SchedulerConfig c, double[] interpTimesteps, boolean finalSigmaMin, Spacing spacing) {
        float[] table = NoiseSchedule.of(c).sigmas();
        int n = interpTimesteps.length;
        double[] sigma = new double[n];
        for (int i = 0; i < n; i++) sigma[i] = NoiseSchedule.interp(interpTimesteps[i], table);
        double[] t = interpTimesteps;
        if (spacing != Spacing.INTERPOLATED) {
            KarrasSigmas range = spacing == Spacing.KARRAS_CONFIG_RANGE ? KarrasSigmas.range(c, sigma[n - 1], sigma[0])
                    : new KarrasSigmas(sigma[n - 1], sigma[0]);
            sigma = range.sigmas(n);
            float[] logTable = KarrasSigmas.logSigmas(table);
            t = new double[n];
            for (int i = 0; i < n; i++) t[i] = KarrasSigmas.timestep(sigma[i], logTable);
        }
        this.sigmas = new float[n + 1];
        this.timesteps = new double[n];
        for (int i = 0; i < n; i++) {
            sigmas[i] = (float) sigma[i];
            timesteps[i] = (float) t[i];
        }
        sigmas[n] = finalSigmaMin ? table[0] : 0f;
        this.cursor = new StepCursor(timesteps);
        float max = 0;
        for (float s : sigmas) max = Math.max(max, s);
        boolean spacedToEnd = !"leading".equals(c.timestep_spacing());
        this.initNoiseSigma = spacedToEnd ? max : (float) Math.sqrt(max * max + 1);
    }

    /** Timesteps for k-diffusion schedulers: float linspace, or the integer leading/trailing set. */
    static double[] sigmaTimesteps(SchedulerConfig c, int steps, String owner, boolean float32Linspace) {
        TimestepSpacing spacing = TimestepSpacing.parse(c.timestep_spacing(), owner);
        TimestepSpacing.requireSteps(steps, c.num_train_timesteps());
        double[] out = new double[steps];
        if (spacing == TimestepSpacing.LINSPACE) {
            double[] up = TimestepSpacing.npLinspace(0, c.num_train_timesteps() - 1, steps);
            for (int i = 0; i < steps; i++) {
                double v = up[steps - 1 - i];
                out[i] = float32Linspace ? (float) v : v;
            }
        } else {
            long[] desc = spacing.integerDescending(c.num_train_timesteps(), steps, c.steps_offset());
            for (int i = 0; i < steps; i++) out[i] = desc[i];
        }
        return out;
    }

    /** Rejects the σ-table options this port does not implement (exponential and beta sigmas). */
    static void requireKarrasOrLinearSigmas(SchedulerConfig c, String owner) {
        SchedulerConfig.off(c.use_exponential_sigmas(), "use_exponential_sigmas", owner);
        SchedulerConfig.off(c.use_beta_sigmas(), "use_beta_sigmas", owner);
    }

    @Override
    public final double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public final double initNoiseSigma() {
        return initNoiseSigma;
    }

    /** x / sqrt(σ² + 1), so the UNet sees unit-variance input. */
    @Override
    public final FloatTensor scaleModelInput(FloatTensor sample, double t) {
        float sigma = sigmas[cursor.current(t)];
        float scale = (float) Math.sqrt(sigma * sigma + 1);
        return Latents.map(sample, x -> x / scale);
    }

    @Override
    public final FloatTensor step(FloatTensor modelOutput, double t, FloatTensor sample) {
        int index = cursor.current(t);
        FloatTensor prev = step(modelOutput, index, sample);
        cursor.advance();
        return prev;
    }

    /** One update from σ_index to σ_{index+1}. */
    protected abstract FloatTensor step(FloatTensor modelOutput, int index, FloatTensor sample);

    /** x̂_0 for a prediction type: ε → x − σ ε; v → v · (−σ / sqrt(σ² + 1)) + x / (σ² + 1). */
    protected static FloatTensor predictOriginal(PredictionType p, float sigma, FloatTensor modelOutput,
                                                 FloatTensor sample) {
        return switch (p) {
            case EPSILON -> Latents.zip(sample, modelOutput, (x, m) -> x - sigma * m);
            case V_PREDICTION -> {
                float c = -sigma / (float) Math.sqrt(sigma * sigma + 1);
                float d = sigma * sigma + 1;
                yield Latents.zip(sample, modelOutput, (x, m) -> m * c + x / d);
            }
            case SAMPLE -> modelOutput;
        };
    }

    /** x_t = x_0 + σ ε at the begin index (img2img), as diffusers' add_noise. */
    @Override
    public final FloatTensor addNoise(FloatTensor original, FloatTensor noise, double t) {
        float sigma = sigmas[cursor.noiseIndex(t)];
        return Latents.zip(original, noise, (x0, eps) -> x0 + eps * sigma);
    }

    @Override
    public final void setBeginIndex(int index) {
        cursor.setBeginIndex(index);
    }
}
