package dev.sdserve.vae;

import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdConfig;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring: builds the plain-Java {@link VaeModels} from config and closes its sessions on shutdown. */
@ApplicationScoped
public class VaeProducers {

    @Produces
    @Singleton
    VaeModels vaeModels(ModelRoots roots, RuntimeOptions options, SdConfig.Models models, VaeConfig vae) {
        return new VaeModels(roots, options, new VaeLimits(vae.maxPixels(), vae.maxBatch()), models.maxLoaded());
    }

    @Produces
    @Singleton
    VaeTracing tracing(Tracer tracer) {
        return new VaeTracing(tracer);
    }

    void close(@Disposes VaeModels models) {
        models.close();
    }
}
