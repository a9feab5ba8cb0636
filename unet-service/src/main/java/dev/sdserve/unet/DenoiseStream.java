package dev.sdserve.unet;

import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.runtime.GrpcErrors;
import dev.sdserve.runtime.SdException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * One Denoise stream = one session: the first message opens it, each later one is a step. Completion, an
 * error on either side, or cancellation closes the session, which frees its cached feature at once.
 */
final class DenoiseStream implements StreamObserver<DenoiseRequest> {
    private final DenoiseSessions sessions;
    private final StreamObserver<DenoiseResponse> out;
    /**
     * The trace context the call started in (its server span, a child of the orchestrator's client span): the
     * messages arrive on worker threads, so each one runs in it explicitly and its step spans join the trace.
     */
    private final Context callContext = Context.current();
    private volatile DenoiseSession session;
    private volatile boolean cancelled;
    private boolean done;

    DenoiseStream(DenoiseSessions sessions, StreamObserver<DenoiseResponse> out) {
        this.sessions = sessions;
        this.out = out;
        if (out instanceof ServerCallStreamObserver<DenoiseResponse> call) call.setOnCancelHandler(this::cancel);
    }

    @Override
    public synchronized void onNext(DenoiseRequest req) {
        if (done) return;
        try (Scope ignored = callContext.makeCurrent()) {
            switch (req.getKindCase()) {
                case OPEN -> {
                    SdException.require(session == null, "open: the stream already has a session");
                    session = ProtoMapping.open(sessions, req.getOpen(), false);
                    if (cancelled) release(); // cancelled while opening
                    out.onNext(DenoiseResponse.newBuilder().setOpened(ProtoMapping.opened(session)).build());
                }
                case STEP -> {
                    SdException.require(session != null, "step: the first message of the stream must be open");
                    out.onNext(DenoiseResponse.newBuilder().setStep(ProtoMapping.step(session, req.getStep())).build());
                }
                default -> throw SdException.invalid("request: neither open nor step");
            }
        } catch (RuntimeException e) {
            done = true;
            release();
            out.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        done = true;
        release();
    }

    @Override
    public synchronized void onCompleted() {
        release();
        if (done) return;
        done = true;
        out.onCompleted();
    }

    private void cancel() {
        cancelled = true;
        release();
    }

    /** Closes the session; safe to call more than once and from the cancel handler's thread. */
    private void release() {
        DenoiseSession s = session;
        if (s != null) s.close();
    }
}
