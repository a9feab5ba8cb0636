package dev.sdserve.orchestrator.deepcache;

import dev.sdserve.runtime.SdException;

/** Builds the cache schedule of a request. */
public final class CacheSchedules {
    /** DeepCache's defaults for the non-uniform schedule (its stable_diffusion.py). */
    public static final double DEFAULT_CENTER = 15;
    public static final double DEFAULT_POWER = 1.4;

    private CacheSchedules() {
    }

    /**
     * @param interval   cache_interval; ≤ 1 means every step is full (DeepCache off)
     * @param nonUniform DeepCache's quadratic-around-a-center schedule instead of every interval-th step
     * @param center     the step the non-uniform schedule concentrates full steps around
     * @param power      the starting power of the non-uniform search (DeepCache uses 1.4)
     * @param steps      how many steps (UNet calls) the schedule covers
     */
    public static CacheSchedule create(int interval, boolean nonUniform, double center, double power, int steps) {
        if (interval <= 1) return new UniformCacheSchedule(1);
        if (!nonUniform) return new UniformCacheSchedule(interval);
        SdException.require(power > 1, "cache_power: must be > 1, got " + power);
        return NonUniformCacheSchedule.of(steps, interval, center, power);
    }
}
