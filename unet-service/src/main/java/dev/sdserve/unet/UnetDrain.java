package dev.sdserve.unet;

import dev.sdserve.runtime.InFlightCalls;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Graceful drain: on shutdown, Denoise streams (a whole generation each) and unary calls in flight get
 * {@code sd.unet.drain-timeout} to finish; what still runs afterwards is cancelled by the server's stop, which
 * frees its feature-store entry through the stream's cancel handler.
 */
@Singleton
@GlobalInterceptor
public class UnetDrain extends InFlightCalls {
    void onShutdown(@Observes ShutdownEvent event, UnetConfig config) {
        drain("unet-service", config.drainTimeout());
    }
}
