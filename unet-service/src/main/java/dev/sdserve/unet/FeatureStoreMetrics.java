package dev.sdserve.unet;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;
import java.util.function.ToDoubleFunction;

/**
 * The DeepCache feature store and the loaded UNets as Micrometer meters (Prometheus at {@code /q/metrics} on the
 * HTTP port): the same numbers as {@code sd.v1.Denoiser/GetStatus}, read at each scrape.
 */
@Singleton
public class FeatureStoreMetrics implements MeterBinder {
    private final DenoiseSessions sessions;

    public FeatureStoreMetrics(DenoiseSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "sd.unet.feature_store.sessions", "open DeepCache sessions", null, s -> s.stats().sessions());
        gauge(registry, "sd.unet.feature_store.entries", "cached features held", null, s -> s.stats().entries());
        gauge(registry, "sd.unet.feature_store.size", "bytes of the cached features", "bytes", s -> s.stats().bytes());
        gauge(registry, "sd.unet.feature_store.max", "sd.unet.feature-store.max-bytes", "bytes",
                s -> s.limits().maxBytes());
        counter(registry, "sd.unet.feature_store.hits", "shallow steps served from a cached feature",
                s -> s.stats().hits());
        counter(registry, "sd.unet.feature_store.misses", "shallow steps whose feature was gone (run FULL instead)",
                s -> s.stats().misses());
        counter(registry, "sd.unet.feature_store.evictions", "features dropped to stay within max-bytes",
                s -> s.stats().evictions());
        counter(registry, "sd.unet.feature_store.expired", "sessions dropped after the idle TTL",
                s -> s.stats().expired());
        Gauge.builder("sd.unet.loaded", sessions, x -> x.loaded().size())
                .description("UNets held in memory (model and cache branch)").register(registry);
    }

    private void gauge(MeterRegistry r, String name, String help, String unit, ToDoubleFunction<FeatureStore> f) {
        Gauge.builder(name, sessions.store(), f).description(help).baseUnit(unit).register(r);
    }

    private void counter(MeterRegistry r, String name, String help, ToDoubleFunction<FeatureStore> f) {
        FunctionCounter.builder(name, sessions.store(), f).description(help).register(r);
    }
}
