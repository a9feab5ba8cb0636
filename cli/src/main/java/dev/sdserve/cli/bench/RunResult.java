package dev.sdserve.cli.bench;

import dev.sdserve.runtime.Png;

/**
 * The measurements of one timed generation.
 *
 * @param totalMs     end to end: prompts in, PNG out (text encoder, loop, VAE decode, PNG encode)
 * @param loopMs      the denoising loop: the sum of the per-step wall times (UNet call + scheduler)
 * @param textMs      the text encoder stage
 * @param vaeMs       the VAE decode stage
 * @param steps       UNet calls per mode and, in-process, their ONNX Runtime run time
 * @param transportMs split only: UNet round trips minus the unet-service's own time (gRPC); NaN in-process
 * @param image       the generated image (one per run)
 * @param load        the 1-minute load average when the run ended (NaN until {@link #withLoad}); on a shared
 *                    machine it tells which ratios to trust
 */
record RunResult(double totalMs, double loopMs, double textMs, double vaeMs, StepLog.Counts steps,
                 double transportMs, Png.Rgb image, double load) {

    RunResult withLoad(double loadAverage) {
        return new RunResult(totalMs, loopMs, textMs, vaeMs, steps, transportMs, image, loadAverage);
    }

    /** Loop time per UNet call outside ONNX Runtime's run: scheduler, tensor copies, the session layer. */
    double overheadMsPerStep() {
        return (loopMs - steps.runMs()) / steps.calls();
    }
}
