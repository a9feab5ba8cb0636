package dev.sdserve.orchestrator.scheduler;

/**
 * The noise levels of Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based Generative Models",
 * eq. 5, ρ = 7) and their train timesteps, as diffusers' {@code _convert_to_karras} and {@code _sigma_to_t}
 * compute them for {@code use_karras_sigmas=True}:
 *
 * <ul>
 *   <li>σ_i = (σ_max^(1/ρ) + i/(n−1) · (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ for i = 0..n−1, in double;</li>
 *   <li>t(σ): log σ interpolated linearly between the two neighbouring entries of the float32 table
 *       log σ_train (t = 0..N−1), clamped to [0, N−1].</li>
 * </ul>
 *
 * Euler and LMS keep t fractional, DPM++ rounds it (half to even, numpy's round).
 *
 * @param sigmaMin the range's low end (σ of the last step before the final σ)
 * @param sigmaMax the range's high end (σ of the first step)
 */
record KarrasSigmas(double sigmaMin, double sigmaMax) {
    static final double RHO = 7.0;
    static final String KEY = "use_karras_sigmas";

    /**
     * The range diffusers takes: the config's {@code sigma_min}/{@code sigma_max} where set (Euler's keys; DPM++
     * reads them too when the file has them), else the ends of the σ the scheduler would otherwise use.
     */
    static KarrasSigmas range(SchedulerConfig c, double lowest, double highest) {
        return new KarrasSigmas(c.sigma_min() != null ? c.sigma_min() : lowest,
                c.sigma_max() != null ? c.sigma_max() : highest);
    }

    /** n noise levels from σ_max down to σ_min. */
    double[] sigmas(int n) {
        double[] ramp = TimestepSpacing.npLinspace(0, 1, n);
        double minInvRho = Math.pow(sigmaMin, 1 / RHO);
        double maxInvRho = Math.pow(sigmaMax, 1 / RHO);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), RHO);
        return out;
    }

    /**
     * log σ of each train timestep in float32, as diffusers' {@code np.log} of its float32 σ table computes it.
     * That is numpy's SIMD float32 log, not a correctly rounded one: on SD 1.5's table 188 of the 1000 entries
     * differ by an ulp from {@code (float) Math.log}, which moves a fractional Karras timestep by up to a float32
     * ulp, so {@link #numpyLog} reproduces it.
     */
    static float[] logSigmas(float[] sigmaTable) {
        float[] out = new float[sigmaTable.length];
        for (int i = 0; i < out.length; i++) out[i] = numpyLog(sigmaTable[i]);
        return out;
    }

    // numpy's float32 log kernel (AVX2/AVX512F, FMA): a degree-5/5 rational minimax approximation of log(1 + y)
    private static final float[] LOG_P = {0f, 9.999999999999998702752e-01f, 2.112677543073053063722e+00f,
        1.480000633576506585156e+00f, 3.808837741388407920751e-01f, 2.589979117907922693523e-02f};
    private static final float[] LOG_Q = {1f, 2.612677543073109236779e+00f, 2.453006071784736363091e+00f,
        9.864942958519418960339e-01f, 1.546476374983906719538e-01f, 5.875095403124574342950e-03f};
    private static final float LN2 = 0.693147180559945309417f;
    private static final float SQRT1_2 = 0.707106781186547524401f;

    /**
     * log x for finite x > 0 as numpy computes float32 log: x = m · 2^e with m in (√½, √2], y = m − 1,
     * log x = P(y)/Q(y) + e · ln 2, every polynomial step a fused multiply-add in float32. Matches np.log on the
     * σ table and on 200,000 random floats in [1e-3, 100] bit for bit.
     */
    static float numpyLog(float x) {
        int bits = Float.floatToRawIntBits(x);
        float e = (bits >>> 23) - 126;
        float m = Float.intBitsToFloat((bits & 0x007FFFFF) | 0x3F000000);
        if (m <= SQRT1_2) {
            m = m + m;
            e = e - 1f;
        }
        float y = m - 1f;
        float num = LOG_P[5];
        float den = LOG_Q[5];
        for (int k = 4; k >= 0; k--) {
            num = Math.fma(num, y, LOG_P[k]);
            den = Math.fma(den, y, LOG_Q[k]);
        }
        return Math.fma(e, LN2, num / den);
    }

    /**
     * diffusers' {@code _sigma_to_t}: low = the last train timestep whose log σ ≤ log σ (0 when none, at most
     * N−2), w = (log σ_low − log σ) / (log σ_low − log σ_high), t = (1 − w)·low + w·(low + 1) with w in [0, 1].
     * The denominator is a difference of two float32 table entries and stays float32, as in numpy.
     */
    static double timestep(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int count = 0;
        while (count < logSigmas.length && logSigma - logSigmas[count] >= 0) count++;
        int low = Math.min(Math.max(count - 1, 0), logSigmas.length - 2);
        int high = low + 1;
        float lowLog = logSigmas[low];
        float width = lowLog - logSigmas[high];
        double w = (lowLog - logSigma) / width;
        w = Math.min(Math.max(w, 0), 1);
        return (1 - w) * low + w * high;
    }
}
