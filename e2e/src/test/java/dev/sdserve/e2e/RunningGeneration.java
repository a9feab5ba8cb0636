package dev.sdserve.e2e;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Generate call running in the background, for the fault, limit and drain tests: counts progress events,
 * records how the call ended and when, and can be cancelled by the client.
 */
final class RunningGeneration implements StreamObserver<GenerateEvent> {
    private final Context.CancellableContext context = Context.current().withCancellation();
    private final AtomicInteger progress = new AtomicInteger();
    private final List<GenerateEvent> events = new ArrayList<>();
    private final CompletableFuture<Status> end = new CompletableFuture<>();
    private volatile long endedNanos;

    private RunningGeneration() {
    }

    /** Starts {@code request} on {@code channel}; {@code deadlineMs} > 0 sets a client deadline. */
    static RunningGeneration start(Channel channel, GenerateRequest request, long deadlineMs) {
        RunningGeneration g = new RunningGeneration();
        g.context.run(() -> {
            ImageGenerationGrpc.ImageGenerationStub stub = ImageGenerationGrpc.newStub(channel);
            if (deadlineMs > 0) stub = stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
            stub.generate(request, g);
        });
        return g;
    }

    /** Waits until at least {@code n} progress events came; false when the call ended or time ran out first. */
    boolean awaitProgress(int n, long timeoutMs) throws InterruptedException {
        long until = System.nanoTime() + timeoutMs * 1_000_000L;
        while (progress.get() < n && !end.isDone() && System.nanoTime() < until) Thread.sleep(5);
        return progress.get() >= n;
    }

    /** How the call ended: OK or the error status; throws when it has not ended within {@code timeoutMs}. */
    Status awaitEnd(long timeoutMs) throws Exception {
        try {
            return end.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the generation did not end within " + timeoutMs + " ms (" + progress.get()
                    + " progress events so far): a hang", e);
        }
    }

    boolean ended() {
        return end.isDone();
    }

    /** System.nanoTime() when the call ended. */
    long endedNanos() {
        return endedNanos;
    }

    int progress() {
        return progress.get();
    }

    synchronized Generations result() {
        return Generations.of(List.copyOf(events));
    }

    void cancel() {
        context.cancel(null);
    }

    @Override
    public synchronized void onNext(GenerateEvent e) {
        events.add(e);
        if (e.hasProgress()) progress.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
        endedNanos = System.nanoTime();
        end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        endedNanos = System.nanoTime();
        end.complete(Status.OK);
    }
}
