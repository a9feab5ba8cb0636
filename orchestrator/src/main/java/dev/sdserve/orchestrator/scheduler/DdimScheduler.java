package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/**
 * diffusers' DDIMScheduler with eta = 0 (deterministic DDIM, Song et al. 2020, eq. 12). Stateless between
 * steps: each call needs only t, the model output and the sample.
 */
public final class DdimScheduler implements Scheduler {
    static final String NAME = "DDIMScheduler";

    private final NoiseSchedule schedule;
    private final PredictionType prediction;
    private final float finalAlphaCumprod;
    private final int stepRatio;
    private final boolean clipSample;
    private final float clipSampleRange;
    private final double[] timesteps;

    public DdimScheduler(SchedulerConfig c, int steps) {
        c.requireValidBase(NAME);
        SchedulerConfig.off(c.thresholding(), "thresholding", NAME);
        SchedulerConfig.off(c.rescale_betas_zero_snr(), "rescale_betas_zero_snr", NAME);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME, PredictionType.values());
        TimestepSpacing spacing = TimestepSpacing.parse(c.timestep_spacing(), NAME);
        TimestepSpacing.requireSteps(steps, c.num_train_timesteps());
        this.schedule = NoiseSchedule.of(c);
        this.finalAlphaCumprod = c.set_alpha_to_one() ? 1.0f : schedule.alphaCumprod(0);
        this.stepRatio = c.num_train_timesteps() / steps;
        this.clipSample = c.clip_sample();
        this.clipSampleRange = (float) c.clip_sample_range();
        long[] desc = spacing.integerDescending(c.num_train_timesteps(), steps, c.steps_offset());
        this.timesteps = new double[desc.length];
        for (int i = 0; i < desc.length; i++) timesteps[i] = desc[i];
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    /**
     * Notation: ᾱ_t = alphaProdT, ᾱ_{t-1} = alphaProdTPrev (t − N/n; final_alpha_cumprod below 0).
     * 1. x̂_0 from the prediction type; 2. optional clip; 3. with eta = 0, σ_t = 0 and
     * x_{t-1} = sqrt(ᾱ_{t-1}) x̂_0 + sqrt(1 − ᾱ_{t-1}) ε̂.
     */
    @Override
    public FloatTensor step(FloatTensor modelOutput, double t, FloatTensor sample) {
        int timestep = AlphaNoise.integerTimestep(t, schedule.trainSteps());
        float alphaProdT = schedule.alphaCumprod(timestep);
        float alphaProdTPrev = schedule.alphaCumprodOr(timestep - stepRatio, finalAlphaCumprod);
        float betaProdT = 1 - alphaProdT;
        float sqrtA = (float) Math.sqrt(alphaProdT);
        float sqrtB = (float) Math.sqrt(betaProdT);
        float[] m = modelOutput.toArray();
        float[] x = sample.toArray();
        float[] x0 = new float[m.length];
        float[] eps = new float[m.length];
        for (int i = 0; i < m.length; i++) {
            switch (prediction) {
                case EPSILON -> {
                    x0[i] = (x[i] - sqrtB * m[i]) / sqrtA;
                    eps[i] = m[i];
                }
                case SAMPLE -> {
                    x0[i] = m[i];
                    eps[i] = (x[i] - sqrtA * m[i]) / sqrtB;
                }
                case V_PREDICTION -> {
                    x0[i] = sqrtA * x[i] - sqrtB * m[i];
                    eps[i] = sqrtA * m[i] + sqrtB * x[i];
                }
            }
        }
        if (clipSample) {
            // ε̂ stays the unclipped one: the pipeline never sets use_clipped_model_output
            for (int i = 0; i < x0.length; i++) x0[i] = Math.max(-clipSampleRange, Math.min(clipSampleRange, x0[i]));
        }
        float dirCoeff = (float) Math.sqrt(1 - alphaProdTPrev - 0f);
        float x0Coeff = (float) Math.sqrt(alphaProdTPrev);
        float[] out = new float[m.length];
        for (int i = 0; i < out.length; i++) out[i] = x0Coeff * x0[i] + dirCoeff * eps[i];
        return FloatTensor.of(sample.shape(), out);
    }

    @Override
    public FloatTensor addNoise(FloatTensor original, FloatTensor noise, double t) {
        return AlphaNoise.addNoise(schedule, original, noise, t);
    }

    /** DDIM needs no cursor: every step is keyed by its own t. */
    @Override
    public void setBeginIndex(int index) {
        StepCursor.checkBeginIndex(index, timesteps.length);
    }

    @Override
    public String displayName() {
        return "DDIM";
    }
}
