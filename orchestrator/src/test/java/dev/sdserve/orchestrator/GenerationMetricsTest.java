package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.pipeline.Cancellation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The limiter's gauges follow generations as they run, queue and leave. */
class GenerationMetricsTest {

    @Test
    void gaugesFollowTheLimiter() throws Exception {
        GenerationLimiter limiter = new GenerationLimiter(1, 4);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new GenerationMetrics(limiter).bindTo(registry);
        assertEquals(0, gauge(registry, "sd.generations.running"));
        GenerationLimiter.Permit first = limiter.acquire(new Cancellation());
        Cancellation second = new Cancellation();
        CompletableFuture<GenerationLimiter.Permit> queued = CompletableFuture.supplyAsync(() -> limiter.acquire(second));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gauge(registry, "sd.generations.waiting") < 1) {
            assertTrue(System.nanoTime() < end, "the second generation never queued");
            Thread.sleep(2);
        }
        assertEquals(1, gauge(registry, "sd.generations.running"));
        assertEquals(1, gauge(registry, "sd.generations.waiting"));
        first.close();
        GenerationLimiter.Permit next = queued.get(5, TimeUnit.SECONDS);
        assertEquals(1, gauge(registry, "sd.generations.running"));
        assertEquals(0, gauge(registry, "sd.generations.waiting"));
        next.close();
        assertEquals(0, gauge(registry, "sd.generations.running"));
    }

    private static double gauge(SimpleMeterRegistry r, String name) {
        return r.get(name).gauge().value();
    }
}
