package dev.sdserve.orchestrator.deepcache;

/**
 * DeepCache's uniform schedule ({@code skip_mode='uniform'}): step i runs the full UNet when i is a multiple of
 * the interval. Interval 1 runs every step in full (plain pipeline).
 */
public record UniformCacheSchedule(int interval) implements CacheSchedule {

    public UniformCacheSchedule {
        if (interval < 1) throw new IllegalArgumentException("cache interval must be >= 1, got " + interval);
    }

    @Override
    public boolean isFull(int i) {
        return i % interval == 0;
    }
}
