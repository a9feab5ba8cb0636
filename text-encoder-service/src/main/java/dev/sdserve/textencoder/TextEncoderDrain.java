package dev.sdserve.textencoder;

import dev.sdserve.runtime.InFlightCalls;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/** Graceful drain: on shutdown, Encode and Tokenize calls in flight get {@code sd.text-encoder.drain-timeout} to finish. */
@Singleton
@GlobalInterceptor
public class TextEncoderDrain extends InFlightCalls {
    void onShutdown(@Observes ShutdownEvent event, TextEncoderConfig config) {
        drain("text-encoder-service", config.drainTimeout());
    }
}
