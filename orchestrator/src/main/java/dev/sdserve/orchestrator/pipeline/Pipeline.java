package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.pipeline.StageTimings.Stage;
import dev.sdserve.orchestrator.scheduler.Scheduler;
import dev.sdserve.orchestrator.scheduler.Schedulers;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One text-to-image or image-to-image generation over the three stages: encode the prompts, draw (or take)
 * the initial latents, run the {@link DenoisingLoop} on one UNet session, decode in chunks. Plain Java: the
 * gRPC service, the tests and the benchmark all drive it with their own {@link StageClients}.
 */
public final class Pipeline {
    private final StageClients stages;
    private final StageHealth health;

    public Pipeline(StageClients stages) {
        this(stages, StageHealth.ALWAYS_SERVING);
    }

    /** @param health checked at the start of every generation, before any stage call */
    public Pipeline(StageClients stages, StageHealth health) {
        this.stages = stages;
        this.health = health;
    }

    /** Runs {@code req}, reporting progress to {@code events}; {@code cancel} stops it and frees the UNet session. */
    public GenerationResult generate(GenerationRequest req, GenerationListener events, Cancellation cancel) {
        long start = System.nanoTime();
        StageTimings timings = new StageTimings();
        Scheduler scheduler = Schedulers.create(req.scheduler(), req.model().schedulerConfig(), req.steps(), req.seed());
        health.requireServing();
        UnetConditioning conditioning = timings.time(Stage.TEXT_ENCODE, () -> PromptConditioning.encode(req, stages.textEncoder()));
        FloatTensor latents = initialLatents(req, scheduler, timings);
        DenoisingLoop loop = new DenoisingLoop(scheduler, settings(req, scheduler), events, timings, cancel);
        cancel.throwIfCancelled();
        try (DenoiserSession unet = stages.denoiser().open(req.model().name(), conditioning, req.cache().branch());
             Cancellation.Registration onCancel = cancel.onCancel(unet::abort)) {
            latents = loop.run(unet, latents, req.beginIndex());
        }
        cancel.throwIfCancelled();
        FloatTensor finalLatents = latents;
        List<Png.Rgb> rgb = timings.time(Stage.VAE, () -> decode(req, finalLatents));
        timings.add(Stage.TOTAL, StageTimings.millisSince(start));
        return result(req, scheduler, finalLatents, rgb, timings);
    }

    /**
     * The latents the loop starts from: the N(0,1) draw (given, or from the seed) times init_noise_sigma; for
     * img2img the encoded image noised to the first timestep that runs.
     */
    private FloatTensor initialLatents(GenerationRequest req, Scheduler scheduler, StageTimings timings) {
        FloatTensor noise = req.initialLatents().orElseGet(() -> InitialNoise.draw(req.seed(), req.latentShape()));
        return req.initImage().isPresent() ? noisedImage(req, scheduler, noise, timings)
                : noise.scale((float) scheduler.initNoiseSigma());
    }

    /** Guidance, preview interval, and the DeepCache schedule over the calls that actually run. */
    private static DenoisingLoop.Settings settings(GenerationRequest req, Scheduler scheduler) {
        return new DenoisingLoop.Settings(req.guidance(), req.cache().schedule(calls(req, scheduler)), req.previewInterval());
    }

    /** The UNet calls that run: every timestep from the begin index (img2img starts later). */
    private static int calls(GenerationRequest req, Scheduler scheduler) {
        return scheduler.timesteps().length - req.beginIndex();
    }

    /** img2img: the encoded image, scaled and noised to the first timestep that runs (diffusers' prepare_latents). */
    private FloatTensor noisedImage(GenerationRequest req, Scheduler scheduler, FloatTensor noise, StageTimings timings) {
        InitImage init = req.initImage().orElseThrow();
        FloatTensor mean = timings.time(Stage.VAE, () -> stages.vae().encode(req.model().name(), init));
        long[] want = req.latentShape();
        SdException.require(mean.rank() == 4 && Arrays.equals(Arrays.copyOfRange(mean.shape(), 1, 4),
                Arrays.copyOfRange(want, 1, 4)), "init_image: its latents are " + mean + " but the output size "
                + req.width() + "x" + req.height() + " needs [" + want[1] + ", " + want[2] + ", " + want[3] + "]");
        SdException.require(mean.dim(0) == 1 || mean.dim(0) == req.nImages(),
                "init_image: " + mean.dim(0) + " images for n_images " + req.nImages());
        if (mean.dim(0) == 1) mean = FloatTensor.concat0(Collections.nCopies(req.nImages(), mean));
        int begin = req.beginIndex();
        scheduler.setBeginIndex(begin);
        FloatTensor x0 = mean.scale((float) req.model().vaeScalingFactor());
        return scheduler.addNoise(x0, noise, scheduler.timesteps()[begin]);
    }

    /** Decodes in chunks of decoding_batch_size, one VAE call each. */
    private List<Png.Rgb> decode(GenerationRequest req, FloatTensor latents) {
        List<Png.Rgb> out = new ArrayList<>();
        for (int from = 0; from < req.nImages(); from += req.decodingBatchSize()) {
            int to = Math.min(req.nImages(), from + req.decodingBatchSize());
            out.addAll(stages.vae().decode(req.model().name(), latents.slice0(from, to)));
        }
        return out;
    }

    private static GenerationResult result(GenerationRequest req, Scheduler scheduler, FloatTensor latents,
                                           List<Png.Rgb> rgb, StageTimings timings) {
        List<GenerationResult.Image> images = new ArrayList<>();
        String first = null;
        for (int i = 0; i < rgb.size(); i++) {
            String text = GenerationParameters.text(req, scheduler.displayName(), req.seed() + i);
            if (first == null) first = text;
            Optional<FloatTensor> l = req.returnLatents() ? Optional.of(latents.slice0(i, i + 1)) : Optional.empty();
            images.add(new GenerationResult.Image(Png.encode(rgb.get(i), Map.of("parameters", text)), req.seed() + i,
                    l, rgb.get(i).width(), rgb.get(i).height()));
        }
        return new GenerationResult(images, first == null ? "" : first, timings.rows(),
                req.cache().note(calls(req, scheduler)).stream().toList());
    }
}
