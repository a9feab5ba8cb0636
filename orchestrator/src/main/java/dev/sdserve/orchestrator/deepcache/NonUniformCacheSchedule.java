package dev.sdserve.orchestrator.deepcache;

import dev.sdserve.runtime.SdException;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * DeepCache's non-uniform schedule: full steps are denser around a center step, where features change fastest
 * (horseee/DeepCache {@code sample_from_quad_center}). With n = ceil(steps / interval) full steps it takes
 * n + 1 points evenly spaced between (−c)^(1/p) and (steps − c)^(1/p) — complex numbers when the base is
 * negative, as Python's {@code **} gives — raises them to p, keeps the truncated real parts, drops the smallest
 * and largest distinct values and shifts by c; step 0 is always full. If that does not give exactly n indices,
 * p is lowered by 0.02 and the search repeats, until p ≤ 1 (an error).
 */
public final class NonUniformCacheSchedule implements CacheSchedule {
    private final int[] fullSteps;
    private final double power;

    private NonUniformCacheSchedule(int[] fullSteps, double power) {
        this.fullSteps = fullSteps;
        this.power = power;
    }

    /** DeepCache's pipeline: n = steps // interval, plus one when it does not divide. */
    public static NonUniformCacheSchedule of(int steps, int interval, double center, double power) {
        SdException.require(interval >= 2, "cache_interval: the non-uniform schedule needs >= 2, got " + interval);
        int n = steps / interval + (steps % interval != 0 ? 1 : 0);
        return quadCenter(steps, n, center, power);
    }

    /** {@code sample_from_quad_center(total, n, center, pow)}. */
    public static NonUniformCacheSchedule quadCenter(int total, int n, double center, double power) {
        // DeepCache compares loop indices with sorted + center, so a fractional center would match no step
        SdException.require(center == Math.rint(center), "cache_center: must be a whole step, got " + center);
        SdException.require(n >= 1 && total >= 1, "cache schedule: needs >= 1 step and >= 1 full step");
        double p = power;
        while (p > 1) {
            int[] indices = candidate(total, n, center, p);
            if (indices.length == n) return new NonUniformCacheSchedule(indices, p);
            p -= 0.02;
        }
        throw SdException.invalid("cache schedule: no power <= " + power + " gives " + n
                + " full steps for " + total + " steps around center " + center
                + "; adjust cache_interval or lower the center");
    }

    private static int[] candidate(int total, int n, double center, double p) {
        double[] start = cpow(-center, 0, 1 / p);
        double[] stop = cpow(total - center, 0, 1 / p);
        TreeSet<Integer> unique = new TreeSet<>();
        for (int k = 0; k <= n; k++) {
            double re;
            double im;
            if (k == n) {
                re = stop[0];
                im = stop[1];
            } else {
                // numpy linspace: k * step + start, on complex values
                re = k * ((stop[0] - start[0]) / n) + start[0];
                im = k * ((stop[1] - start[1]) / n) + start[1];
            }
            unique.add((int) cpow(re, im, p)[0]); // np.int32 keeps the real part, truncated
        }
        Integer[] sorted = unique.toArray(new Integer[0]);
        int[] out = new int[Math.max(sorted.length - 1, 1)];
        for (int i = 1; i < sorted.length - 1; i++) out[i] = (int) (sorted[i] + center);
        return out;
    }

    /** The principal value of (re + i·im)^p: |z|^p · e^{i p arg z}. */
    private static double[] cpow(double re, double im, double p) {
        if (re == 0 && im == 0) return new double[] {0, 0};
        double len = Math.pow(Math.hypot(re, im), p);
        double phase = Math.atan2(im, re) * p;
        return new double[] {len * Math.cos(phase), len * Math.sin(phase)};
    }

    @Override
    public boolean isFull(int i) {
        return Arrays.binarySearch(fullSteps, i) >= 0;
    }

    /** The full steps, ascending (DeepCache's interval_seq). */
    public int[] fullSteps() {
        return fullSteps.clone();
    }

    /** The power the search settled on. */
    public double power() {
        return power;
    }
}
