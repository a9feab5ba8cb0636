package dev.sdserve.e2e;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One Generate call's events, collected. */
record Generations(List<StepProgress> progress, GenerateResult result, Timings timings) {

    /** Runs {@code request} to the end through the orchestrator of {@code cluster}. */
    static Generations run(ServiceCluster cluster, GenerateRequest request) {
        Iterator<GenerateEvent> events = ImageGenerationGrpc.newBlockingStub(
                cluster.channel(ServiceCluster.Service.ORCHESTRATOR)).withDeadlineAfter(5, TimeUnit.MINUTES)
                .generate(request);
        List<StepProgress> progress = new ArrayList<>();
        GenerateResult result = null;
        Timings timings = null;
        while (events.hasNext()) {
            GenerateEvent e = events.next();
            switch (e.getKindCase()) {
                case PROGRESS -> progress.add(e.getProgress());
                case RESULT -> result = e.getResult();
                case TIMINGS -> timings = e.getTimings();
                default -> { }
            }
        }
        return new Generations(progress, result, timings);
    }
}
