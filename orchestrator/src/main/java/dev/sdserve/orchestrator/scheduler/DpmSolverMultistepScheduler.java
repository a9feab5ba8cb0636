package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;

/**
 * diffusers' DPMSolverMultistepScheduler with its defaults: DPM-Solver++ (Lu et al. 2022, arXiv:2211.01095),
 * data prediction, solver order 2 ("DPM++ 2M"), midpoint (or heun) second-order update, lower_order_final;
 * with {@code use_karras_sigmas} the σ are Karras et al.'s ("DPM++ 2M Karras", {@link KarrasSigmas}).
 * Works in λ = log(α/σ) with α = 1/sqrt(σ² + 1), σ_t = σ α.
 *
 * <p>Private state: the last two data predictions x̂_0 ({@code m0} newest) and how many lower-order warm-up
 * steps have been taken; the step index is a {@link StepCursor}.
 */
public final class DpmSolverMultistepScheduler implements Scheduler {
    static final String NAME = "DPMSolverMultistepScheduler";

    private final PredictionType prediction;
    private final int solverOrder;
    private final boolean heun;
    private final boolean lowerOrderFinal;
    private final boolean eulerAtFinal;
    private final boolean finalSigmaZero;
    private final boolean karras;
    private final double[] timesteps;
    private final float[] sigmas;
    private final StepCursor cursor;
    private FloatTensor m0;
    private FloatTensor m1;
    private int lowerOrderNums;

    public DpmSolverMultistepScheduler(SchedulerConfig c, int steps) {
        validate(c);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME, PredictionType.values());
        this.solverOrder = c.solver_order();
        this.heun = "heun".equals(c.solver_type());
        this.lowerOrderFinal = c.lower_order_final();
        this.eulerAtFinal = c.euler_at_final();
        this.finalSigmaZero = "zero".equals(c.final_sigmas_type());
        this.karras = c.use_karras_sigmas();
        NoiseSchedule schedule = NoiseSchedule.of(c);
        TimestepSpacing spacing = TimestepSpacing.parse(c.timestep_spacing(), NAME);
        TimestepSpacing.requireSteps(steps, c.num_train_timesteps());
        float[] table = schedule.sigmas();
        this.timesteps = new double[steps];
        this.sigmas = new float[steps + 1];
        if (karras) {
            karrasSigmas(KarrasSigmas.range(c, table[0], table[table.length - 1]), table);
        } else {
            long[] ts = timesteps(spacing, c, steps, lastTimestep(schedule, c.lambda_min_clipped()));
            for (int i = 0; i < steps; i++) {
                timesteps[i] = ts[i];
                sigmas[i] = (float) NoiseSchedule.interp(ts[i], table);
            }
        }
        sigmas[steps] = finalSigmaZero ? 0f : table[0];
        this.cursor = new StepCursor(timesteps);
    }

    /**
     * use_karras_sigmas: σ spaced as Karras et al. over the whole train range (or the config's sigma_min/sigma_max),
     * each timestep the log-σ interpolated train timestep of its σ, rounded (so repeats are possible at many steps).
     */
    private void karrasSigmas(KarrasSigmas range, float[] table) {
        double[] karrasSigma = range.sigmas(timesteps.length);
        float[] logTable = KarrasSigmas.logSigmas(table);
        for (int i = 0; i < timesteps.length; i++) {
            timesteps[i] = Math.rint(KarrasSigmas.timestep(karrasSigma[i], logTable));
            sigmas[i] = (float) karrasSigma[i];
        }
    }

    private static void validate(SchedulerConfig c) {
        c.requireValidBase(NAME);
        SigmaScheduler.requireKarrasOrLinearSigmas(c, NAME);
        SchedulerConfig.oneOf(c.algorithm_type(), "algorithm_type", NAME, "dpmsolver++");
        SchedulerConfig.oneOf(c.solver_type(), "solver_type", NAME, "midpoint", "heun");
        SchedulerConfig.supported(c.solver_order() == 1 || c.solver_order() == 2, "solver_order", c.solver_order(), NAME);
        SchedulerConfig.oneOf(c.final_sigmas_type(), "final_sigmas_type", NAME, "zero", "sigma_min");
        SchedulerConfig.off(c.thresholding(), "thresholding", NAME);
        SchedulerConfig.off(c.use_lu_lambdas(), "use_lu_lambdas", NAME);
        SchedulerConfig.off(c.use_flow_sigmas(), "use_flow_sigmas", NAME);
        SchedulerConfig.off(c.use_dynamic_shifting(), "use_dynamic_shifting", NAME);
        SchedulerConfig.off(c.rescale_betas_zero_snr(), "rescale_betas_zero_snr", NAME);
        SchedulerConfig.supported(c.variance_type() == null, "variance_type", c.variance_type(), NAME);
    }

    /** N − (number of train λ below lambda_min_clipped): diffusers' clipped last timestep. */
    private static int lastTimestep(NoiseSchedule s, double lambdaMinClipped) {
        int clipped = 0;
        for (int t = 0; t < s.trainSteps(); t++) {
            float a = s.alphaCumprod(t);
            float lambda = (float) Math.log((float) Math.sqrt(a)) - (float) Math.log((float) Math.sqrt(1 - a));
            if (lambda < lambdaMinClipped) clipped++;
        }
        return s.trainSteps() - clipped;
    }

    /** DPM's spacings take n + 1 points and drop the last (so t = 0 is never a model call). */
    private static long[] timesteps(TimestepSpacing spacing, SchedulerConfig c, int n, int last) {
        long[] out = new long[n];
        switch (spacing) {
            case LINSPACE -> {
                double[] up = TimestepSpacing.npLinspace(0, last - 1, n + 1);
                for (int i = 0; i < n; i++) out[i] = (long) Math.rint(up[n - i]);
            }
            case LEADING -> {
                int ratio = last / (n + 1);
                for (int i = 0; i < n; i++) out[i] = (long) (n - i) * ratio + c.steps_offset();
            }
            case TRAILING -> {
                double[] a = TimestepSpacing.npArange(last, 0, -(double) c.num_train_timesteps() / n);
                SdException.require(a.length == n, "steps: trailing spacing gives " + a.length + " timesteps");
                for (int i = 0; i < n; i++) out[i] = (long) Math.rint(a[i]) - 1;
            }
        }
        return out;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    /** σ of every step and the final σ (for the fixture tests). */
    float[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public FloatTensor step(FloatTensor modelOutput, double t, FloatTensor sample) {
        int i = cursor.current(t);
        int n = timesteps.length;
        boolean lowerFinal = i == n - 1 && (eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmaZero);
        // (diffusers' lower_order_second only matters for solver_order 3, which is rejected)
        m1 = m0;
        m0 = dataPrediction(modelOutput, sigmas[i], sample);
        FloatTensor prev;
        if (solverOrder == 1 || lowerOrderNums < 1 || lowerFinal) {
            prev = firstOrder(i, sample);
        } else {
            prev = secondOrder(i, sample);
        }
        if (lowerOrderNums < solverOrder) lowerOrderNums++;
        cursor.advance();
        return prev;
    }

    /** DPM-Solver++ converts every model output to x̂_0 = (x − σ_t ε) / α_t (or v / sample forms). */
    private FloatTensor dataPrediction(FloatTensor modelOutput, float sigma, FloatTensor sample) {
        float alphaT = alpha(sigma);
        float sigmaT = sigma * alphaT;
        return switch (prediction) {
            case EPSILON -> Latents.zip(sample, modelOutput, (x, e) -> (x - sigmaT * e) / alphaT);
            case V_PREDICTION -> Latents.zip(sample, modelOutput, (x, v) -> alphaT * x - sigmaT * v);
            case SAMPLE -> modelOutput;
        };
    }

    /** Eq. (5) of DPM-Solver++ with one x̂_0: x_t = (σ_t/σ_s) x − α_t (e^{−h} − 1) D0. */
    private FloatTensor firstOrder(int i, FloatTensor sample) {
        float sigmaT = sigmas[i + 1];
        float sigmaS = sigmas[i];
        float alphaT = alpha(sigmaT);
        float alphaS = alpha(sigmaS);
        float sT = sigmaT * alphaT;
        float sS = sigmaS * alphaS;
        float h = lambda(alphaT, sT) - lambda(alphaS, sS);
        float ratio = sT / sS;
        float c0 = alphaT * ((float) Math.exp(-h) - 1.0f);
        return Latents.zip(sample, m0, (x, d0) -> ratio * x - c0 * d0);
    }

    /** Multistep second order (2M): D0 = m0, D1 = (m0 − m1) / r0, r0 = h_0 / h; midpoint or heun correction. */
    private FloatTensor secondOrder(int i, FloatTensor sample) {
        float alphaT = alpha(sigmas[i + 1]);
        float alphaS0 = alpha(sigmas[i]);
        float alphaS1 = alpha(sigmas[i - 1]);
        float sT = sigmas[i + 1] * alphaT;
        float sS0 = sigmas[i] * alphaS0;
        float sS1 = sigmas[i - 1] * alphaS1;
        float lambdaT = lambda(alphaT, sT);
        float lambdaS0 = lambda(alphaS0, sS0);
        float lambdaS1 = lambda(alphaS1, sS1);
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        float invR0 = 1.0f / r0;
        float ratio = sT / sS0;
        float expm = (float) Math.exp(-h) - 1.0f;
        float c0 = alphaT * expm;
        float c1 = heun ? alphaT * (expm / h + 1.0f) : 0.5f * c0;
        FloatTensor d1 = Latents.zip(m0, m1, (a, b) -> invR0 * (a - b));
        FloatTensor base = Latents.zip(sample, m0, (x, d0) -> ratio * x - c0 * d0);
        return heun ? Latents.zip(base, d1, (x, d) -> x + c1 * d) : Latents.zip(base, d1, (x, d) -> x - c1 * d);
    }

    private static float alpha(float sigma) {
        return 1.0f / (float) Math.sqrt(sigma * sigma + 1);
    }

    private static float lambda(float alphaT, float sigmaT) {
        return (float) Math.log(alphaT) - (float) Math.log(sigmaT);
    }

    /** x_t = α_t x_0 + σ_t ε at the begin index (img2img). */
    @Override
    public FloatTensor addNoise(FloatTensor original, FloatTensor noise, double t) {
        float sigma = sigmas[cursor.noiseIndex(t)];
        float alphaT = alpha(sigma);
        float sigmaT = sigma * alphaT;
        return Latents.zip(original, noise, (x0, e) -> alphaT * x0 + sigmaT * e);
    }

    @Override
    public void setBeginIndex(int index) {
        cursor.setBeginIndex(index);
    }

    @Override
    public String displayName() {
        return karras ? "DPM++ 2M Karras" : "DPM++ 2M";
    }
}
