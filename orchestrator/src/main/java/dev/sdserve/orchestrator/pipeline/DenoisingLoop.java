package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.CacheSchedule;
import dev.sdserve.orchestrator.deepcache.StepIndexer;
import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserSession.StepResult;
import dev.sdserve.orchestrator.pipeline.StageTimings.Stage;
import dev.sdserve.orchestrator.scheduler.Scheduler;
import dev.sdserve.runtime.FloatTensor;

/**
 * The denoising loop of one generation (diffusers' pipeline loop with DeepCacheSDHelper's schedule):
 * for each timestep, pick FULL or SHALLOW from the cache schedule, run the UNet on the CFG batch
 * [uncond, cond], guide, and let the scheduler step. It owns no resources; the caller opens and closes the
 * UNet session.
 */
public final class DenoisingLoop {

    /**
     * @param guidance        the CFG scale; at most 1 means the batch holds only the conditional half
     * @param previewInterval a preview every k calls; 0 = none
     */
    public record Settings(double guidance, CacheSchedule cacheSchedule, int previewInterval) {
        boolean cfg() {
            return guidance > 1.0;
        }
    }

    private final Scheduler scheduler;
    private final Settings settings;
    private final GenerationListener events;
    private final StageTimings timings;
    private final Cancellation cancellation;

    public DenoisingLoop(Scheduler scheduler, Settings settings, GenerationListener events, StageTimings timings,
                         Cancellation cancellation) {
        this.scheduler = scheduler;
        this.settings = settings;
        this.events = events;
        this.timings = timings;
        this.cancellation = cancellation;
    }

    /** Runs every call from {@code beginIndex} (0, or img2img's start) and returns the final latents. */
    public FloatTensor run(DenoiserSession unet, FloatTensor latents, int beginIndex) {
        double[] timesteps = scheduler.timesteps();
        StepIndexer stepIndex = new StepIndexer(timesteps, beginIndex);
        int total = timesteps.length - beginIndex;
        for (int call = 0; call < total; call++) {
            cancellation.throwIfCancelled();
            long start = System.nanoTime();
            double t = timesteps[beginIndex + call];
            StepMode mode = settings.cacheSchedule().mode(stepIndex.indexOf(t));
            FloatTensor x = scheduler.scaleModelInput(settings.cfg() ? latents.concat0(latents) : latents, t);
            double schedulerMs = StageTimings.millisSince(start); // scheduler = scale_model_input + guidance + step
            StepResult unetOut = timedUnet(unet, x, t, mode);
            long stepStart = System.nanoTime();
            FloatTensor eps = settings.cfg() ? guide(unetOut.noisePred()) : unetOut.noisePred();
            latents = scheduler.step(eps, t, latents);
            timings.add(Stage.SCHEDULER, schedulerMs + StageTimings.millisSince(stepStart));
            events.progress(new StepEvent(call, total, unetOut.modeRun(), unetOut.cacheHit(),
                    StageTimings.millisSince(start), t, unetOut.migrations()));
            events.latents(call, latents);
            if (settings.previewInterval() > 0 && (call + 1) % settings.previewInterval() == 0) {
                events.preview(call, LatentPreview.png(latents));
            }
        }
        return latents;
    }

    /** eps = u + g * (c - u) over the [uncond..., cond...] halves of the UNet batch. */
    private FloatTensor guide(FloatTensor noisePred) {
        FloatTensor[] uc = noisePred.split0(2);
        return FloatTensor.guidance(uc[0], uc[1], (float) settings.guidance());
    }

    private StepResult timedUnet(DenoiserSession unet, FloatTensor x, double t, StepMode mode) {
        long start = System.nanoTime();
        StepResult r = unet.step(x, t, mode);
        double roundTrip = StageTimings.millisSince(start) - r.migrationMs();
        if (r.migrations() > 0) timings.add(Stage.UNET_MIGRATION, r.migrationMs());
        timings.add(r.modeRun() == StepMode.FULL ? Stage.UNET_FULL : Stage.UNET_SHALLOW, roundTrip);
        timings.add(Stage.GRPC_OVERHEAD, Math.max(0, roundTrip - r.serverMs()));
        return r;
    }
}
