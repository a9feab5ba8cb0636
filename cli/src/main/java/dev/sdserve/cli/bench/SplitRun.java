package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.CacheParams;
import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.Iterator;

/**
 * Runs generations through the public Generate API of the orchestrator the benchmark started, with the same
 * inputs the in-process run gets. The wall time is the client's: request sent to result received.
 */
final class SplitRun implements AutoCloseable {
    private static final long MAX_PIXELS = 1L << 28;

    private final BenchSettings settings;
    private final ManagedChannel channel;

    SplitRun(BenchSettings settings, int orchestratorPort) {
        this.settings = settings;
        this.channel = ManagedChannelBuilder.forAddress("localhost", orchestratorPort).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
    }

    RunResult run(BenchCase c, FloatTensor latents, int steps) {
        GenerateRequest request = request(c, latents, steps);
        StepLog log = new StepLog();
        double loopMs = 0;
        GenerateResult result = null;
        Timings timings = Timings.getDefaultInstance();
        long start = System.nanoTime();
        Iterator<GenerateEvent> events = ImageGenerationGrpc.newBlockingStub(channel).generate(request);
        while (events.hasNext()) {
            GenerateEvent e = events.next();
            switch (e.getKindCase()) {
                case PROGRESS -> {
                    StepProgress p = e.getProgress();
                    loopMs += p.getMs();
                    log.add(p.getMode() == dev.sdserve.proto.v1.StepMode.SHALLOW ? StepMode.SHALLOW : StepMode.FULL,
                            Double.NaN);
                }
                case RESULT -> result = e.getResult();
                case TIMINGS -> timings = e.getTimings();
                default -> { }
            }
        }
        double totalMs = (System.nanoTime() - start) / 1e6;
        if (result == null || result.getImagesCount() == 0) throw SdException.internal("Generate returned no image", null);
        return new RunResult(totalMs, loopMs, stageMs(timings, "text_encode"), stageMs(timings, "vae"), log.counts(),
                stageMs(timings, "grpc_overhead"), Png.decode(result.getImages(0).getPng().toByteArray(), "image", MAX_PIXELS), Double.NaN);
    }

    private GenerateRequest request(BenchCase c, FloatTensor latents, int steps) {
        BenchSettings.Generation g = settings.generation();
        CacheParams cache = c.cache();
        return GenerateRequest.newBuilder().setModel(settings.model().name()).setPrompt(g.prompt())
                .setNegativePrompt(g.negativePrompt()).setNImages(1).setSteps(steps).setGuidance(g.guidance())
                .setSeed(g.seed()).setHeight(g.height()).setWidth(g.width())
                .setScheduler(BenchSettings.Generation.SCHEDULER).setDecodingBatchSize(1)
                .setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(cache.interval())
                        .setCacheBranchId(cache.branch()).setNonUniform(cache.nonUniform())
                        .setCenter(cache.center()).setPower(cache.power()))
                .setInitialLatents(TensorCodec.toProto(latents)).build();
    }

    private static double stageMs(Timings timings, String stage) {
        return timings.getStagesList().stream().filter(s -> s.getStage().equals(stage))
                .mapToDouble(StageTiming::getTotalMs).sum();
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
