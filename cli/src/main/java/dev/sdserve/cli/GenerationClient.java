package dev.sdserve.cli;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.Preview;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.PrintWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One streaming {@code Generate} call. Events go to a {@link Listener} as they arrive; the result and the
 * timings are returned at the end. Ctrl-C (JVM shutdown) cancels the call, which cancels the generation on
 * the server and frees its UNet session there.
 */
public final class GenerationClient {
    private final Endpoint endpoint;
    private final PrintWriter err;

    /** {@code err} receives the one line said when Ctrl-C cancels the call. */
    public GenerationClient(Endpoint endpoint, PrintWriter err) {
        this.endpoint = endpoint;
        this.err = err;
    }

    /** Receives progress and previews on gRPC's thread, in stream order. */
    public interface Listener {
        void onProgress(StepProgress progress);

        default void onPreview(Preview preview) {
        }
    }

    /** What a generation returns: the images and the per-stage timings (empty when the server sent none). */
    public record Outcome(GenerateResult result, Timings timings) {
    }

    /** Runs the call to completion; gRPC failures come back as StatusRuntimeException. */
    public Outcome generate(GenerateRequest request, Listener listener) throws InterruptedException {
        ManagedChannel channel = endpoint.open();
        Call call = new Call(listener);
        Thread cancelOnExit = new Thread(() -> call.cancel(channel, err), "sd-cancel-generation");
        Runtime.getRuntime().addShutdownHook(cancelOnExit);
        try {
            endpoint.awaitServing(channel);
            ImageGenerationGrpc.newStub(channel).generate(request, call);
            return call.done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException sre) throw endpoint.explain(sre);
            throw new IllegalStateException(e.getCause());
        } finally {
            removeHook(cancelOnExit);
            channel.shutdownNow();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or has run: nothing to remove.
        }
    }

    /** The response observer of one call; keeps the last result and timings. */
    private static final class Call implements ClientResponseObserver<GenerateRequest, GenerateEvent> {
        private final Listener listener;
        private final CompletableFuture<Outcome> done = new CompletableFuture<>();
        private final AtomicReference<ClientCallStreamObserver<GenerateRequest>> stream = new AtomicReference<>();
        private GenerateResult result;
        private Timings timings = Timings.getDefaultInstance();

        Call(Listener listener) {
            this.listener = listener;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
            stream.set(requestStream);
        }

        @Override
        public void onNext(GenerateEvent event) {
            switch (event.getKindCase()) {
                case PROGRESS -> listener.onProgress(event.getProgress());
                case PREVIEW -> listener.onPreview(event.getPreview());
                case RESULT -> result = event.getResult();
                case TIMINGS -> timings = event.getTimings();
                default -> { } // an event kind newer than this client: ignore it
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            if (result == null) {
                done.completeExceptionally(io.grpc.Status.INTERNAL
                        .withDescription("the orchestrator ended the stream without a result").asRuntimeException());
            } else {
                done.complete(new Outcome(result, timings));
            }
        }

        /** Cancels a call still running, then gives the cancellation a moment to reach the server. */
        void cancel(ManagedChannel channel, PrintWriter err) {
            ClientCallStreamObserver<GenerateRequest> s = stream.get();
            if (s == null || done.isDone()) return;
            err.println();
            err.println("sd: interrupted; cancelling the generation on the server");
            err.flush();
            s.cancel("cancelled by the user (Ctrl-C)", null);
            try {
                done.get(2, TimeUnit.SECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException expected) {
                // The call ends with CANCELLED; all that matters is that the RST_STREAM went out.
            }
            channel.shutdown();
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
