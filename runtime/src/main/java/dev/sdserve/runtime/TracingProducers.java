package dev.sdserve.runtime;

import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * The optional Zipkin exporter: with {@code sd.tracing.exporter=zipkin} (and tracing on,
 * {@code quarkus.otel.sdk.disabled=false}) every service sends its spans to Zipkin's v2 API at
 * {@code sd.tracing.zipkin.endpoint} instead of over OTLP. Quarkus exports every {@link SpanExporter} bean
 * (batched per {@code quarkus.otel.bsp.*}) and drops its own OTLP exporter when one is looked up; the bean is
 * only looked up when the property says zipkin, so by default OTLP stays the exporter.
 */
@ApplicationScoped
public class TracingProducers {
    private static final Logger LOG = Logger.getLogger(TracingProducers.class);

    @Produces
    @Singleton
    @LookupIfProperty(name = "sd.tracing.exporter", stringValue = "zipkin")
    public SpanExporter zipkinExporter(@ConfigProperty(name = "sd.tracing.zipkin.endpoint",
            defaultValue = "http://localhost:9411/api/v2/spans") String endpoint) {
        LOG.infof("tracing: exporting spans to Zipkin at %s", endpoint);
        return ZipkinSpanExporter.builder().setSender(URLConnectionSender.create(endpoint)).build();
    }
}
