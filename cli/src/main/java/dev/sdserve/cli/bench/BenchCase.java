package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.pipeline.CacheParams;
import java.util.List;

/**
 * One configuration the benchmark times: the no-cache baseline or a DeepCache setting. {@code key} is the
 * name used in bench.json ({@code N2}, {@code N5_branch1}, ...).
 */
record BenchCase(String key, String label, CacheParams cache) {
    static final String BASELINE = "baseline";
    /** DeepCache's non-uniform schedule as the issue fixes it: center 15, power 1.4. */
    static final double CENTER = 15;
    static final double POWER = 1.4;

    static BenchCase baseline() {
        return new BenchCase(BASELINE, "no cache (baseline)", CacheParams.NONE);
    }

    /** The DeepCache configurations, in report order; each is compared with the baseline. */
    static List<BenchCase> deepCache() {
        return List.of(
                new BenchCase("N2", "N=2 uniform, branch 0", CacheParams.uniform(2, 0)),
                new BenchCase("N3", "N=3 uniform, branch 0", CacheParams.uniform(3, 0)),
                new BenchCase("N5", "N=5 uniform, branch 0", CacheParams.uniform(5, 0)),
                new BenchCase("N5_nonuniform", "N=5 non-uniform (c=15, p=1.4), branch 0",
                        new CacheParams(5, 0, true, CENTER, POWER)),
                new BenchCase("N5_branch1", "N=5 uniform, branch 1", CacheParams.uniform(5, 1)));
    }

    /**
     * The configurations named by {@code keys} (e.g. "N3,N5"), in report order; INVALID_ARGUMENT-style
     * IllegalArgumentException naming an unknown key. The split run's configuration is added when it runs.
     */
    static List<BenchCase> select(List<String> keys, boolean split) {
        List<String> known = deepCache().stream().map(BenchCase::key).toList();
        for (String k : keys) {
            if (!known.contains(k)) throw new IllegalArgumentException("--configs: unknown '" + k + "'; expected " + known);
        }
        return deepCache().stream().filter(c -> keys.contains(c.key()) || split && c.equals(split())).toList();
    }

    /** The configuration the split (four services) run repeats. */
    static BenchCase split() {
        return deepCache().get(2);
    }

    int branch() {
        return cache.branch();
    }
}
