package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.pipeline.GenerationTracing;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring of the {@code generate} span over Quarkus's tracer (a no-op one while the SDK is disabled). */
@ApplicationScoped
public class OrchestratorTracing {

    @Produces
    @Singleton
    GenerationTracing generationTracing(Tracer tracer) {
        return new GenerationTracing(tracer);
    }
}
