package dev.sdserve.orchestrator;

import com.google.protobuf.ByteString;
import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.GenerationListener;
import dev.sdserve.orchestrator.pipeline.GenerationResult;
import dev.sdserve.orchestrator.pipeline.StageTimings;
import dev.sdserve.orchestrator.pipeline.StepEvent;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.Preview;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.stub.StreamObserver;

/** Maps the pipeline's events and result to the public API's {@link GenerateEvent}s. */
final class GenerateEvents implements GenerationListener {
    private final StreamObserver<GenerateEvent> out;

    GenerateEvents(StreamObserver<GenerateEvent> out) {
        this.out = out;
    }

    @Override
    public void progress(StepEvent e) {
        out.onNext(GenerateEvent.newBuilder().setProgress(StepProgress.newBuilder().setIndex(e.index())
                .setTotal(e.total()).setMode(e.mode() == StepMode.FULL ? dev.sdserve.proto.v1.StepMode.FULL
                        : dev.sdserve.proto.v1.StepMode.SHALLOW)
                .setCacheHit(e.cacheHit()).setMs(e.ms()).setTimestep(e.timestep())
                .setMigrations(e.migrations())).build());
    }

    @Override
    public void preview(int index, byte[] png) {
        out.onNext(GenerateEvent.newBuilder().setPreview(Preview.newBuilder().setIndex(index)
                .setPng(ByteString.copyFrom(png))).build());
    }

    /** The result event, then the timings event. */
    void finish(GenerationResult r) {
        GenerateResult.Builder result = GenerateResult.newBuilder().setParameters(r.parameters())
                .addAllNotes(r.notes());
        for (GenerationResult.Image img : r.images()) {
            GeneratedImage.Builder b = GeneratedImage.newBuilder().setPng(ByteString.copyFrom(img.png()))
                    .setSeed(img.seed()).setWidth(img.width()).setHeight(img.height());
            img.latents().ifPresent(l -> b.setLatents(TensorCodec.toProto(l)));
            result.addImages(b);
        }
        out.onNext(GenerateEvent.newBuilder().setResult(result).build());
        Timings.Builder t = Timings.newBuilder();
        for (StageTimings.Timing row : r.timings()) {
            t.addStages(StageTiming.newBuilder().setStage(row.stage()).setCount(row.count())
                    .setTotalMs(row.totalMs()).setMeanMs(row.meanMs()));
        }
        out.onNext(GenerateEvent.newBuilder().setTimings(t).build());
    }
}
