package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.auth.ApiKeyInterceptor;
import dev.sdserve.orchestrator.pipeline.Cancellation;
import dev.sdserve.orchestrator.pipeline.GenerationRequest;
import dev.sdserve.orchestrator.pipeline.GenerationTracing;
import dev.sdserve.orchestrator.pipeline.Pipeline;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.runtime.GrpcErrors;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Thin gRPC adapter for the public API: validates, waits for a slot of the {@link GenerationLimiter}, runs the
 * {@link Pipeline}, streams its events. A client cancel (or deadline) cancels the call's gRPC context at once,
 * even while this worker thread is busy in the loop; the listener below then aborts the UNet session.
 */
@GrpcService
@Blocking
@RegisterInterceptor(ApiKeyInterceptor.class)
public class ImageGenerationGrpcService extends ImageGenerationGrpc.ImageGenerationImplBase {
    private static final Logger LOG = Logger.getLogger(ImageGenerationGrpcService.class);

    @Inject
    GenerateRequests requests;
    @Inject
    Pipeline pipeline;
    @Inject
    ModelCatalog catalog;
    @Inject
    GenerationTracing tracing;
    @Inject
    GenerationLimiter limiter;

    /*
     * Stage calls run in a fork of the call's gRPC Context: its values (trace context) without its cancellation.
     * The channels' load balancer may start its long-lived health-check watches from whatever thread drives it; in
     * the call's own Context such a watch would die when this call ends ("Context was cancelled without error")
     * and mark a healthy replica as failed. A client cancel or deadline still stops the generation: the listener
     * below cancels it explicitly, which closes its UNet session.
     */
    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateEvent> responses) {
        Context callContext = Context.current();
        callContext.fork().run(() -> generate(callContext, request, responses));
    }

    private void generate(Context callContext, GenerateRequest request, StreamObserver<GenerateEvent> responses) {
        Cancellation cancel = new Cancellation();
        Context.CancellationListener onCancel = ctx -> cancel.cancel("cancelled by the client");
        callContext.addListener(onCancel, Runnable::run);
        if (responses instanceof ServerCallStreamObserver<GenerateEvent> call) {
            call.setOnCancelHandler(() -> cancel.cancel("cancelled by the client"));
        }
        try {
            GenerationRequest req = requests.validate(request);
            try (GenerationLimiter.Permit slot = limiter.acquire(cancel)) {
                GenerateEvents events = new GenerateEvents(responses);
                events.finish(tracing.generate(req, () -> pipeline.generate(req, events, cancel)));
            }
            responses.onCompleted();
        } catch (RuntimeException | Error e) {
            if (callContext.isCancelled()) {
                // the client left or its deadline passed: nobody to answer; the UNet session is already closed
                LOG.debugf("generation cancelled: %s", e.getMessage());
            } else {
                // cancelled here (shutdown drain): the cancellation's status, not the one of whatever it interrupted
                StatusRuntimeException status = GrpcErrors.toStatus(cancel.isCancelled() ? cancel.exception() : e);
                LOG.infof("generation failed: %s", status.getStatus());
                responses.onError(status);
            }
        } finally {
            callContext.removeListener(onCancel);
        }
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        try {
            responses.onNext(Context.current().fork().call(catalog::list)); // stage calls: see generate
            responses.onCompleted();
        } catch (Exception e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }
}
