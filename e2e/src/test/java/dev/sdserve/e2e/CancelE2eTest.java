package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StepRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A client that cancels Generate mid-loop frees the UNet session (and its cached feature) within 1 s. The
 * session id comes from the orchestrator's log; unet-service's unary Step answers a session-less request with
 * INVALID_ARGUMENT while the session is open (the id is looked up first) and NOT_FOUND once it is closed.
 */
class CancelE2eTest {
    private static final Pattern OPENED = Pattern.compile("unet session (\\S+) opened");

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
        String session = sessionOpenedAfter(cluster, before);
        assertEquals(Status.Code.INVALID_ARGUMENT, probe(cluster, session), "the session is open while generating");

        long cancelled = System.nanoTime();
        call.cancel(null);
        Status.Code code = probe(cluster, session);
        while (code != Status.Code.NOT_FOUND && System.nanoTime() - cancelled < 5_000_000_000L) {
            Thread.sleep(20);
            code = probe(cluster, session);
        }
        double seconds = (System.nanoTime() - cancelled) / 1e9;
        Results.append(String.format(java.util.Locale.ROOT, "cancel: UNet session freed %.0f ms after the client cancelled",
                seconds * 1000));
        assertEquals(Status.Code.NOT_FOUND, code, "the session is still open 5 s after the cancel");
        assertTrue(seconds < 1.0, "the session was freed only after " + seconds + " s");
    }

    private static String sessionOpenedAfter(ServiceCluster cluster, String before) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            Matcher m = OPENED.matcher(cluster.logText(ServiceCluster.Service.ORCHESTRATOR).substring(before.length()));
            if (m.find()) return m.group(1);
            Thread.sleep(100);
        }
        throw new AssertionError("the orchestrator logged no 'unet session ... opened' line");
    }

    /** Unary Step without a sample: INVALID_ARGUMENT when the session exists, NOT_FOUND when it does not. */
    private static Status.Code probe(ServiceCluster cluster, String session) {
        try {
            DenoiserGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.UNET)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .step(StepRequest.newBuilder().setSessionId(session).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }
}
