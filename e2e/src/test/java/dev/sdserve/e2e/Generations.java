package dev.sdserve.e2e;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One Generate call's events, collected. */
record Generations(List<StepProgress> progress, List<byte[]> previews, GenerateResult result, Timings timings) {

    /** Runs {@code request} to the end through the orchestrator of {@code cluster}. */
    static Generations run(ServiceCluster cluster, GenerateRequest request) {
        return run(cluster.channel(ServiceCluster.Service.ORCHESTRATOR), request);
    }

    /** Runs {@code request} to the end on {@code channel}. */
    static Generations run(Channel channel, GenerateRequest request) {
        Iterator<GenerateEvent> events = ImageGenerationGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                .generate(request);
        List<GenerateEvent> all = new ArrayList<>();
        events.forEachRemaining(all::add);
        return of(all);
    }

    /** Sorts a finished call's events by kind. */
    static Generations of(List<GenerateEvent> events) {
        List<StepProgress> progress = new ArrayList<>();
        List<byte[]> previews = new ArrayList<>();
        GenerateResult result = null;
        Timings timings = null;
        for (GenerateEvent e : events) {
            switch (e.getKindCase()) {
                case PROGRESS -> progress.add(e.getProgress());
                case PREVIEW -> previews.add(e.getPreview().getPng().toByteArray());
                case RESULT -> result = e.getResult();
                case TIMINGS -> timings = e.getTimings();
                default -> { }
            }
        }
        return new Generations(progress, previews, result, timings);
    }
}
