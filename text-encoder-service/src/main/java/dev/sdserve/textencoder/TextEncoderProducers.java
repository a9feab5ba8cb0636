package dev.sdserve.textencoder;

import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdConfig;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring: builds the plain-Java {@link TextEncoderModels} from configuration and closes it on shutdown. */
@ApplicationScoped
public class TextEncoderProducers {

    @Produces
    @Singleton
    TextEncoderModels models(ModelRoots roots, RuntimeOptions options, SdConfig.Models models, TextEncoderConfig config) {
        return new TextEncoderModels(roots, options, models.maxLoaded(), config.limits());
    }

    @Produces
    @Singleton
    TextEncoderTracing tracing(Tracer tracer) {
        return new TextEncoderTracing(tracer);
    }

    void close(@Disposes TextEncoderModels models) {
        models.close();
    }
}
