package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.pipeline.Cancellation;
import dev.sdserve.orchestrator.pipeline.GenerationListener;
import dev.sdserve.orchestrator.pipeline.GenerationRequest;
import dev.sdserve.orchestrator.pipeline.GenerationResult;
import dev.sdserve.orchestrator.pipeline.Pipeline;
import dev.sdserve.orchestrator.pipeline.StageTimings;
import dev.sdserve.orchestrator.pipeline.StepEvent;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import java.util.Optional;

/** Runs generations through the orchestrator's {@link Pipeline} over {@link InProcessStages}. */
final class InProcessRun {
    private static final long MAX_PIXELS = 1L << 28;

    private final BenchSettings settings;
    private final InProcessStages stages;
    private final Pipeline pipeline;

    InProcessRun(BenchSettings settings, InProcessStages stages) {
        this.settings = settings;
        this.stages = stages;
        this.pipeline = new Pipeline(stages.clients());
    }

    /** One generation of {@code c} from {@code latents} (the N(0,1) draw), {@code steps} PNDM steps. */
    RunResult run(BenchCase c, FloatTensor latents, int steps) {
        stages.steps().clear();
        LoopClock clock = new LoopClock();
        long start = System.nanoTime();
        GenerationResult result = pipeline.generate(request(c, latents, steps), clock, new Cancellation());
        double totalMs = StageTimings.millisSince(start);
        return new RunResult(totalMs, clock.loopMs, stageMs(result, StageTimings.Stage.TEXT_ENCODE),
                stageMs(result, StageTimings.Stage.VAE), stages.steps().counts(), Double.NaN,
                Png.decode(result.images().get(0).png(), "image", MAX_PIXELS), Double.NaN);
    }

    private GenerationRequest request(BenchCase c, FloatTensor latents, int steps) {
        BenchSettings.Generation g = settings.generation();
        return new GenerationRequest(settings.model(), g.prompt(), g.negativePrompt(), 1, steps, g.guidance(),
                g.seed(), g.height(), g.width(), BenchSettings.Generation.SCHEDULER, 1, c.cache(), 0,
                Optional.of(latents), Optional.empty(), false);
    }

    private static double stageMs(GenerationResult result, StageTimings.Stage stage) {
        return result.timings().stream().filter(t -> t.stage().equals(stage.id)).mapToDouble(StageTimings.Timing::totalMs)
                .sum();
    }

    /** Sums the per-step wall times the loop reports: the same figure the orchestrator streams to clients. */
    private static final class LoopClock implements GenerationListener {
        double loopMs;

        @Override
        public void progress(StepEvent event) {
            loopMs += event.ms();
        }
    }
}
