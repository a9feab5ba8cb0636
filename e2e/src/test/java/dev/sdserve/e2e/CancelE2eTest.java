package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A client that cancels Generate mid-loop frees the UNet session (and its cached feature) within 1 s, as
 * {@link UnetSessions} sees it from outside.
 */
class CancelE2eTest {
    @Test
    void cancelFreesTheUnetSessionWithinOneSecond() throws Exception {
        ServiceCluster cluster = Cluster.get();
        String before = cluster.logText(ServiceCluster.Service.ORCHESTRATOR);
        CountDownLatch stepsSeen = new CountDownLatch(3);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Context.CancellableContext call = Context.current().withCancellation();
        call.run(() -> ImageGenerationGrpc.newStub(cluster.channel(ServiceCluster.Service.ORCHESTRATOR)).generate(
                GenerateRequest.newBuilder().setPrompt("a long generation").setSteps(500).setSeed(1).build(),
                new StreamObserver<GenerateEvent>() {
                    @Override
                    public void onNext(GenerateEvent e) {
                        if (e.hasProgress()) stepsSeen.countDown();
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed.set(t);
                        while (stepsSeen.getCount() > 0) stepsSeen.countDown();
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        assertTrue(stepsSeen.await(120, TimeUnit.SECONDS), "the generation never got going");
        assertEquals(null, failed.get(), "the generation failed before the cancel");
        String session = UnetSessions.openedAfter(cluster, before);
        assertEquals(Status.Code.INVALID_ARGUMENT, UnetSessions.probe(cluster, session), "the session is open while generating");

        long cancelled = System.nanoTime();
        call.cancel(null);
        long ms = UnetSessions.msUntilFreed(cluster, session, cancelled, 5000);
        Results.append("cancel: UNet session freed " + ms + " ms after the client cancelled");
        assertTrue(ms >= 0, "the session is still open 5 s after the cancel");
        assertTrue(ms < 1000, "the session was freed only after " + ms + " ms");
    }
}
