package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.SdException;

/**
 * diffusers' {@code timestep_spacing}: how n inference timesteps are picked out of the train timesteps
 * (table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed"). Values use numpy's rounding
 * (half to even) and numpy's linspace/arange arithmetic so they equal diffusers' arrays exactly.
 */
public enum TimestepSpacing {
    /** {@code arange(0, n) * (N // n) + steps_offset}, descending. */
    LEADING("leading"),
    /** {@code round(arange(N, 0, -N / n)) - 1}. */
    TRAILING("trailing"),
    /** {@code linspace(0, N - 1, n)}, descending (rounded for integer schedulers). */
    LINSPACE("linspace");

    private final String key;

    TimestepSpacing(String key) {
        this.key = key;
    }

    public static TimestepSpacing parse(String value, String owner) {
        for (TimestepSpacing s : values()) {
            if (s.key.equals(value)) return s;
        }
        SchedulerConfig.oneOf(value, "timestep_spacing", owner, "leading", "trailing", "linspace");
        throw new IllegalStateException();
    }

    /**
     * Integer timesteps in descending order, as DDIM/PNDM (and Euler/LMS for leading/trailing) compute them.
     * LINSPACE ignores steps_offset, like diffusers.
     */
    public long[] integerDescending(int trainSteps, int n, int stepsOffset) {
        long[] out = new long[n];
        switch (this) {
            case LEADING -> {
                int ratio = trainSteps / n;
                for (int k = 0; k < n; k++) out[n - 1 - k] = (long) k * ratio + stepsOffset;
            }
            case TRAILING -> {
                // for a few n (61, 103, 121, ...) numpy's float arange yields one extra entry ≈ 0, which would be
                // t = −1 in diffusers; only the first n entries are kept
                double[] a = npArange(trainSteps, 0, -(double) trainSteps / n);
                for (int k = 0; k < n; k++) out[k] = (long) Math.rint(a[k]) - 1;
            }
            case LINSPACE -> {
                double[] a = npLinspace(0, trainSteps - 1, n);
                for (int k = 0; k < n; k++) out[n - 1 - k] = (long) Math.rint(a[k]);
            }
        }
        return out;
    }

    /** Checks 1 <= n <= N (diffusers raises for more steps than train timesteps). */
    static void requireSteps(int n, int trainSteps) {
        SdException.require(n >= 1 && n <= trainSteps, "steps: must be in [1, " + trainSteps + "], got " + n);
    }

    /** {@code np.linspace(start, stop, num)} in double: {@code k * step + start}, last element = stop. */
    static double[] npLinspace(double start, double stop, int num) {
        double[] y = new double[num];
        if (num == 1) {
            y[0] = start;
            return y;
        }
        double step = (stop - start) / (num - 1);
        for (int k = 0; k < num; k++) y[k] = k * step + start;
        y[num - 1] = stop;
        return y;
    }

    /** {@code np.arange(start, stop, step)} for doubles: numpy fills {@code start + i * (x1 - x0)}. */
    static double[] npArange(double start, double stop, double step) {
        int len = (int) Math.ceil((stop - start) / step);
        double[] y = new double[Math.max(len, 0)];
        double delta = (start + step) - start;
        for (int i = 0; i < y.length; i++) y[i] = i == 0 ? start : i == 1 ? start + step : start + i * delta;
        return y;
    }
}
