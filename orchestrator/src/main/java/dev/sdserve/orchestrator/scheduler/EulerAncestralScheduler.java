package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.orchestrator.noise.TorchGenerator;
import dev.sdserve.runtime.FloatTensor;

/**
 * diffusers' EulerAncestralDiscreteScheduler ("Euler a"): an Euler step down to σ_down followed by fresh noise of
 * size σ_up, with σ_up² + σ_down² = σ_next² (k-diffusion's get_ancestral_step, eta = 1).
 *
 * <p>Noise comes from one {@link TorchGenerator} per image, as diffusers with a list of generators: image i of the
 * batch uses {@code new TorchGenerator(seed + i)}, the generator its initial latents (or img2img's noise) were
 * drawn from ({@code InitialNoise}), so before its first step each generator discards one draw of one image's size
 * and then continues. Image i of a batch therefore equals the single run with seed + i, bit for bit, and a
 * single run equals diffusers with {@code generator=torch.Generator().manual_seed(seed)}.
 */
public final class EulerAncestralScheduler extends SigmaScheduler {
    static final String NAME = "EulerAncestralDiscreteScheduler";

    private final PredictionType prediction;
    private final long noiseSeed;
    private TorchGenerator[] generators; // one per image, created at the first step

    public EulerAncestralScheduler(SchedulerConfig c, int steps, long noiseSeed) {
        super(validated(c), sigmaTimesteps(c, steps, NAME, true), false);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME,
                PredictionType.EPSILON, PredictionType.V_PREDICTION);
        this.noiseSeed = noiseSeed;
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
        FloatTensor noise = FloatTensor.of(modelOutput.shape(), noise(sample));
        return Latents.zip(prev, noise, (x, z) -> x + z * sigmaUp);
    }

    /** One image's worth of N(0,1) from each image's own generator, in batch order. */
    private float[] noise(FloatTensor sample) {
        int images = (int) sample.dim(0);
        int perImage = sample.size() / images;
        if (generators == null) {
            generators = new TorchGenerator[images];
            for (int i = 0; i < images; i++) {
                generators[i] = new TorchGenerator(noiseSeed + i);
                generators[i].randn(perImage); // the image's initial latents, drawn before the loop
            }
        }
        if (generators.length != images) {
            throw new IllegalStateException("batch of " + images + " images after " + generators.length);
        }
        float[] out = new float[sample.size()];
        for (int i = 0; i < images; i++) System.arraycopy(generators[i].randn(perImage), 0, out, i * perImage, perImage);
        return out;
    }

    @Override
    public String displayName() {
        return "Euler a";
    }
}
