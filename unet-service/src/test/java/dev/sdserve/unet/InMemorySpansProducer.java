package dev.sdserve.unet;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Tests' span exporter: Quarkus exports to every SpanExporter bean (and then skips OTLP). Spans only flow
 * where a test profile turns the SDK on ({@link DenoiseTracingTest}).
 */
@ApplicationScoped
public class InMemorySpansProducer {

    @Produces
    @Singleton
    InMemorySpanExporter inMemorySpanExporter() {
        return InMemorySpanExporter.create();
    }
}
