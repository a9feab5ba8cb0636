package dev.sdserve.unet;

import dev.sdserve.runtime.InFlightCalls;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Set;

/**
 * Readiness gate and graceful drain. A replica that is not SERVING (still loading its models, or draining)
 * refuses new sessions (Denoise, Open) with UNAVAILABLE, so an orchestrator opens them on another replica, and
 * one that reached it anyway never lands here. On shutdown it first reports NOT_SERVING (balancers stop sending
 * sessions), then lets Denoise streams (a whole generation each) and unary calls in flight finish for
 * {@code sd.unet.drain-timeout}; what still runs afterwards is cancelled by the server's stop, which frees its
 * feature-store entry, and the orchestrator moves that session to another replica.
 */
@Singleton
@GlobalInterceptor
public class UnetDrain extends InFlightCalls {
    private static final Set<String> SESSION_METHODS = Set.of("sd.v1.Denoiser/Denoise", "sd.v1.Denoiser/Open");

    private final UnetReadiness readiness;

    public UnetDrain(UnetReadiness readiness) {
        this.readiness = readiness;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        UnetReadiness.State state = readiness.state();
        if (state != UnetReadiness.State.SERVING && SESSION_METHODS.contains(call.getMethodDescriptor().getFullMethodName())) {
            call.close(Status.UNAVAILABLE.withDescription("unet-service is " + state.name().toLowerCase()
                    + " (NOT_SERVING): open the session on another replica"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return super.interceptCall(call, headers, next);
    }

    void onShutdown(@Observes ShutdownEvent event, UnetConfig config) {
        readiness.drain();
        drain("unet-service", config.drainTimeout());
    }
}
