package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.orchestrator.noise.TorchGenerator;
import dev.sdserve.runtime.FloatTensor;

/**
 * diffusers' EulerAncestralDiscreteScheduler ("Euler a"): an Euler step down to σ_down followed by fresh noise of
 * size σ_up, with σ_up² + σ_down² = σ_next² (k-diffusion's get_ancestral_step, eta = 1).
 *
 * <p>Noise comes from a {@link TorchGenerator} seeded with the generation's seed. diffusers draws the initial
 * latents (or img2img's noise) from the same generator before the loop, so before its first draw this
 * scheduler discards one draw of the sample's size; with the loop drawing its latents from
 * {@code new TorchGenerator(seed)}, every step's noise then equals diffusers'.
 */
public final class EulerAncestralScheduler extends SigmaScheduler {
    static final String NAME = "EulerAncestralDiscreteScheduler";

    private final PredictionType prediction;
    private final TorchGenerator generator;
    private boolean skippedInitialDraw;

    public EulerAncestralScheduler(SchedulerConfig c, int steps, long noiseSeed) {
        super(validated(c), sigmaTimesteps(c, steps, NAME, true), false);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME,
                PredictionType.EPSILON, PredictionType.V_PREDICTION);
        this.generator = new TorchGenerator(noiseSeed);
    }

    private static SchedulerConfig validated(SchedulerConfig c) {
        c.requireValidBase(NAME);
        SchedulerConfig.off(c.rescale_betas_zero_snr(), "rescale_betas_zero_snr", NAME);
        return c;
    }

    /**
     * σ_up = sqrt(σ_to² (σ_from² − σ_to²) / σ_from²), σ_down = sqrt(σ_to² − σ_up²);
     * x_next = x + (x − x̂_0)/σ · (σ_down − σ) + σ_up · z, z ~ N(0, I).
     */
    @Override
    protected FloatTensor step(FloatTensor modelOutput, int index, FloatTensor sample) {
        float sigma = sigmas[index];
        float sigmaTo = sigmas[index + 1];
        FloatTensor x0 = predictOriginal(prediction, sigma, modelOutput, sample);
        float sigmaUp = (float) Math.sqrt(sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo) / (sigma * sigma));
        float sigmaDown = (float) Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
        float dt = sigmaDown - sigma;
        FloatTensor prev = Latents.zip(sample, x0, (x, p) -> x + (x - p) / sigma * dt);
        if (!skippedInitialDraw) {
            generator.randn(sample.size());
            skippedInitialDraw = true;
        }
        FloatTensor noise = FloatTensor.of(modelOutput.shape(), generator.randn(modelOutput.size()));
        return Latents.zip(prev, noise, (x, z) -> x + z * sigmaUp);
    }

    @Override
    public String displayName() {
        return "Euler a";
    }
}
