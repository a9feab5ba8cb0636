package dev.sdserve.unet;

import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdConfig;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring of the unet-service domain from config. */
@ApplicationScoped
public class UnetProducers {

    @Produces
    @Singleton
    public DenoiseSessions denoiseSessions(ModelRoots roots, RuntimeOptions options, UnetConfig config,
                                           SdConfig.Models models, Tracer tracer) {
        return new DenoiseSessions(roots, options, config.settings(), models.maxLoaded(), tracer);
    }

    public void close(@Disposes DenoiseSessions sessions) {
        sessions.close();
    }
}
