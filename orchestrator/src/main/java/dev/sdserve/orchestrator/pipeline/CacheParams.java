package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.CacheSchedule;
import dev.sdserve.orchestrator.deepcache.CacheSchedules;
import java.util.Optional;

/**
 * DeepCache settings of one generation. {@code interval} 1 means no caching; {@code center} and
 * {@code power} only matter for the non-uniform schedule.
 */
public record CacheParams(int interval, int branch, boolean nonUniform, double center, double power) {
    public static final double DEFAULT_CENTER = CacheSchedules.DEFAULT_CENTER;
    public static final double DEFAULT_POWER = CacheSchedules.DEFAULT_POWER;

    /** No caching: every step runs the full UNet. */
    public static final CacheParams NONE = new CacheParams(1, 0, false, DEFAULT_CENTER, DEFAULT_POWER);

    public static CacheParams uniform(int interval, int branch) {
        return new CacheParams(interval, branch, false, DEFAULT_CENTER, DEFAULT_POWER);
    }

    /**
     * The schedule over {@code calls} UNet calls. A single call (SDXL-Turbo's default) has no later step to
     * reuse a feature in, so caching is a no-op there: the one call runs FULL (see {@link #note}).
     */
    public CacheSchedule schedule(int calls) {
        return CacheSchedules.create(calls <= 1 ? 1 : interval, nonUniform, center, power, calls);
    }

    /** The remark a result carries when caching was requested but {@code calls} leaves it nothing to do. */
    public Optional<String> note(int calls) {
        return interval > 1 && calls <= 1
                ? Optional.of("deepcache: 1 step, caching has no effect (cache_interval " + interval + " ignored)")
                : Optional.empty();
    }
}
