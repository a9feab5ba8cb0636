package dev.sdserve.vae;

import dev.sdserve.runtime.InFlightCalls;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import javax.imageio.ImageIO;

/** Graceful drain: on shutdown, Decode and Encode calls in flight get {@code sd.vae.drain-timeout} to finish. */
@Singleton
@GlobalInterceptor
public class VaeDrain extends InFlightCalls {
    /**
     * PNGs are encoded in memory: ImageIO's default disk cache registers a JVM shutdown hook per stream, which
     * throws once shutdown has begun, so a decode finishing during the drain would fail at its PNG.
     */
    void onStart(@Observes StartupEvent event) {
        ImageIO.setUseCache(false);
    }

    void onShutdown(@Observes ShutdownEvent event, VaeConfig config) {
        drain("vae-service", config.drainTimeout());
    }
}
