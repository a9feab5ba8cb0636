package dev.sdserve.orchestrator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;

/**
 * The generation limiter as Micrometer gauges (Prometheus at {@code /q/metrics} on the HTTP port). Generation
 * counts, latencies and status codes come from Quarkus' gRPC server meters ({@code grpc_server_*}, method
 * {@code Generate}).
 */
@Singleton
public class GenerationMetrics implements MeterBinder {
    private final GenerationLimiter limiter;

    public GenerationMetrics(GenerationLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("sd.generations.running", limiter, GenerationLimiter::running)
                .description("generations running now (at most sd.orchestrator.max-concurrent)").register(registry);
        Gauge.builder("sd.generations.waiting", limiter, GenerationLimiter::waiting)
                .description("generations queued for a slot (at most sd.orchestrator.queue-size)").register(registry);
    }
}
