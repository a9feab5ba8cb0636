package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/**
 * One diffusers-compatible noise scheduler, created for one generation with its timesteps fixed at creation
 * (diffusers' {@code set_timesteps(n)} happens in the constructor). The contract is diffusers':
 * {@code initNoiseSigma()}, {@code scaleModelInput(x, t)}, {@code step(eps, t, x)}.
 *
 * <p>{@link #step} must be called once per entry of {@link #timesteps()}, in order, starting at the begin
 * index (0, or what {@link #setBeginIndex} set for img2img). Multistep history (PLMS's ets, DPM++'s previous
 * x0, LMS's derivatives) is private state of the instance; an instance is never reused.
 */
public interface Scheduler {

    /** The timestep of every UNet call, in order. PNDM with skip_prk_steps repeats its second entry. */
    double[] timesteps();

    /** The factor the initial N(0,1) latents are multiplied by: 1 for alpha-based schedulers, sigma-based for Euler-family. */
    default double initNoiseSigma() {
        return 1.0;
    }

    /** Scales the UNet input at timestep t: the identity for alpha-based schedulers; sigma-based ones override. */
    default FloatTensor scaleModelInput(FloatTensor sample, double t) {
        return sample;
    }

    /** One update: the latents after the call at timestep t, given the (guided) model output. Returns a new tensor. */
    FloatTensor step(FloatTensor modelOutput, double t, FloatTensor sample);

    /** Forward diffusion (img2img): noises {@code original} to timestep t, as diffusers' add_noise. */
    FloatTensor addNoise(FloatTensor original, FloatTensor noise, double t);

    /** img2img: the first call of this generation is {@code timesteps()[index]} (diffusers' set_begin_index). */
    void setBeginIndex(int index);

    /** A short display name, e.g. "PNDM", "DDIM", "Euler a". */
    String displayName();
}
