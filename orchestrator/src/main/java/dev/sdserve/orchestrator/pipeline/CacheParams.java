package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.CacheSchedules;

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
}
