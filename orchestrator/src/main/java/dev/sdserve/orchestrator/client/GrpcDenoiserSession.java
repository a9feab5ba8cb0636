package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.StepRequest;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One Denoise stream. Requests go out under a lock (a gRPC call is not thread-safe, and {@link #abort()} comes
 * from the cancel handler's thread); replies arrive on gRPC's threads and are handed to the stepping thread
 * through a queue, which the step waits on for at most the endpoint's deadline.
 */
final class GrpcDenoiserSession implements DenoiserSession, ClientResponseObserver<DenoiseRequest, DenoiseResponse> {
    private static final Logger LOG = Logger.getLogger(GrpcDenoiserSession.class);
    /** Queued when the server ends the stream. */
    private static final Object END = new Object();

    private volatile StageEndpoint endpoint;
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private ClientCallStreamObserver<DenoiseRequest> requests; // guarded by lock after beforeStart
    private boolean ended; // guarded by lock: closed or aborted by us
    private boolean aborted; // guarded by lock
    private String sessionId = "";

    private GrpcDenoiserSession(StageEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** Starts the stream, sends {@code open} and waits for {@code opened}; {@code pick} learns the replica. */
    static GrpcDenoiserSession open(DenoiserGrpc.DenoiserStub stub, StageEndpoint endpoint, OpenRequest open,
                                    ReplicaPick pick) {
        GrpcDenoiserSession s = new GrpcDenoiserSession(endpoint);
        try {
            stub.denoise(s);
        } catch (RuntimeException e) {
            throw endpoint.failure(e);
        }
        s.send(DenoiseRequest.newBuilder().setOpen(open).build());
        DenoiseResponse r = s.await("open");
        if (!r.hasOpened()) {
            s.abort();
            throw SdException.internal(endpoint.stage() + " answered open with " + r.getKindCase(), null);
        }
        s.sessionId = r.getOpened().getSessionId();
        if (pick.chosen() != null) s.endpoint = endpoint.at(pick.chosen()); // messages name the replica
        LOG.debugf("unet session %s opened at %s", s.sessionId, s.endpoint.address());
        return s;
    }

    @Override
    public StepResult step(FloatTensor sample, double t, StepMode mode) {
        send(DenoiseRequest.newBuilder().setStep(StepRequest.newBuilder().setSample(TensorCodec.toProto(sample))
                .setTimestep(t).setMode(toProto(mode))).build());
        DenoiseResponse r = await("step at t=" + t);
        if (!r.hasStep()) throw SdException.internal(endpoint.stage() + " answered a step with " + r.getKindCase(), null);
        StepResponse s = r.getStep();
        return new StepResult(TensorCodec.fromProto(s.getNoisePred(), endpoint.stage() + " noise_pred"),
                s.getModeRun() == dev.sdserve.proto.v1.StepMode.SHALLOW ? StepMode.SHALLOW : StepMode.FULL,
                s.getCacheHit(), s.getRunMs(), s.getServerMs());
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (ended) return;
            ended = true;
            requests.onCompleted(); // half-close: the service ends the stream and frees the session
        }
        LOG.debugf("unet session %s closed", sessionId);
    }

    @Override
    public void abort() {
        synchronized (lock) {
            if (aborted) return;
            ended = true;
            aborted = true;
            requests.cancel("generation cancelled", null); // RST_STREAM: the service frees the session now
        }
        LOG.debugf("unet session %s aborted", sessionId);
    }

    private void send(DenoiseRequest request) {
        synchronized (lock) {
            if (ended) throw new SdException(SdException.Kind.CANCELLED, "generation cancelled");
            requests.onNext(request);
        }
    }

    private DenoiseResponse await(String what) {
        Object reply;
        try {
            reply = replies.poll(endpoint.deadline().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new SdException(SdException.Kind.CANCELLED, "generation interrupted");
        }
        if (reply instanceof DenoiseResponse r) return r;
        boolean cancelledByUs;
        synchronized (lock) {
            cancelledByUs = aborted;
        }
        abort(); // whatever went wrong, the stream is finished: make sure the service frees the session
        if (cancelledByUs) throw new SdException(SdException.Kind.CANCELLED, "generation cancelled");
        if (reply == null) throw endpoint.timedOut(what);
        if (reply == END) throw SdException.internal(endpoint.stage() + " ended the session during " + what, null);
        throw endpoint.failure((Throwable) reply);
    }

    private static dev.sdserve.proto.v1.StepMode toProto(StepMode mode) {
        return mode == StepMode.FULL ? dev.sdserve.proto.v1.StepMode.FULL : dev.sdserve.proto.v1.StepMode.SHALLOW;
    }

    // ---- ClientResponseObserver: called on gRPC threads ----

    @Override
    public void beforeStart(ClientCallStreamObserver<DenoiseRequest> requestStream) {
        this.requests = requestStream;
    }

    @Override
    public void onNext(DenoiseResponse value) {
        replies.add(value);
    }

    @Override
    public void onError(Throwable t) {
        replies.add(t);
    }

    @Override
    public void onCompleted() {
        replies.add(END);
    }
}
