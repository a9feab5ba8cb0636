package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/** Forward diffusion for ᾱ-based schedulers (DDIM, PNDM): x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε (DDPM eq. 4). */
final class AlphaNoise {
    private AlphaNoise() {
    }

    static FloatTensor addNoise(NoiseSchedule schedule, FloatTensor original, FloatTensor noise, double t) {
        int ti = integerTimestep(t, schedule.trainSteps());
        float alphaProd = schedule.alphaCumprod(ti);
        float sqrtAlphaProd = (float) Math.sqrt(alphaProd);
        float sqrtOneMinusAlphaProd = (float) Math.sqrt(1.0f - alphaProd);
        return Latents.zip(original, noise, (x0, eps) -> sqrtAlphaProd * x0 + sqrtOneMinusAlphaProd * eps);
    }

    /** The train timestep index of t; integer schedulers only accept whole timesteps inside the table. */
    static int integerTimestep(double t, int trainSteps) {
        if (t != Math.rint(t) || t < 0 || t >= trainSteps) {
            throw new IllegalArgumentException("timestep " + t + " is not an integer in [0, " + trainSteps + ")");
        }
        return (int) t;
    }
}
