package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * diffusers' LMSDiscreteScheduler: linear multistep of order 4 in σ (k-diffusion's sample_lms). Each step
 * integrates the Lagrange basis polynomial of the last {@code order} derivatives over [σ_i, σ_{i+1}]
 * (diffusers uses scipy's quad; the integrand is a polynomial of degree ≤ 3, which {@link #integrate}'s
 * adaptive Simpson rule integrates exactly).
 *
 * <p>Private state: the last four derivatives d = (x − x̂_0) / σ, newest last.
 */
public final class LmsScheduler extends SigmaScheduler {
    static final String NAME = "LMSDiscreteScheduler";
    private static final int ORDER = 4;

    private final PredictionType prediction;
    private final String displayName;
    private final Deque<float[]> derivatives = new ArrayDeque<>();

    public LmsScheduler(SchedulerConfig c, int steps) {
        super(validated(c), sigmaTimesteps(c, steps, NAME, false), false,
                c.use_karras_sigmas() ? Spacing.KARRAS : Spacing.INTERPOLATED);
        this.prediction = PredictionType.parse(c.prediction_type(), NAME, PredictionType.values());
        this.displayName = c.use_karras_sigmas() ? "LMS Karras" : "LMS";
    }

    private static SchedulerConfig validated(SchedulerConfig c) {
        c.requireValidBase(NAME);
        requireKarrasOrLinearSigmas(c, NAME);
        return c;
    }

    /** x_next = x + Σ_k c_k d_{i−k}, with c_k = ∫_{σ_i}^{σ_{i+1}} ℓ_k(τ) dτ. */
    @Override
    protected FloatTensor step(FloatTensor modelOutput, int index, FloatTensor sample) {
        float sigma = sigmas[index];
        FloatTensor x0 = predictOriginal(prediction, sigma, modelOutput, sample);
        derivatives.addLast(Latents.zip(sample, x0, (x, p) -> (x - p) / sigma).toArray());
        if (derivatives.size() > ORDER) derivatives.removeFirst();
        int order = Math.min(index + 1, ORDER);
        float[] x = sample.toArray();
        float[] sum = new float[x.length];
        Iterator<float[]> newestFirst = derivatives.descendingIterator();
        // zip(coeffs, reversed(derivatives)) in diffusers: after an img2img begin index there are fewer
        // derivatives than the order, and only that many terms are summed
        for (int k = 0; k < Math.min(order, derivatives.size()); k++) {
            float coeff = (float) lmsCoefficient(order, index, k);
            float[] d = newestFirst.next();
            for (int i = 0; i < sum.length; i++) sum[i] += coeff * d[i];
        }
        for (int i = 0; i < x.length; i++) x[i] = x[i] + sum[i];
        return FloatTensor.of(sample.shape(), x);
    }

    /** ∫ over [σ_t, σ_{t+1}] of Π_{k≠current} (τ − σ_{t−k}) / (σ_{t−current} − σ_{t−k}). */
    double lmsCoefficient(int order, int t, int current) {
        return integrate(tau -> {
            double prod = 1.0;
            for (int k = 0; k < order; k++) {
                if (k == current) continue;
                prod *= (tau - sigmas[t - k]) / (sigmas[t - current] - sigmas[t - k]);
            }
            return prod;
        }, sigmas[t], sigmas[t + 1]);
    }

    /** Adaptive Simpson quadrature to 1e-12 (exact at the first level for the cubic integrands used here). */
    static double integrate(java.util.function.DoubleUnaryOperator f, double a, double b) {
        double fa = f.applyAsDouble(a);
        double fb = f.applyAsDouble(b);
        double fm = f.applyAsDouble((a + b) / 2);
        return simpson(f, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), 1e-12, 40);
    }

    private static double simpson(java.util.function.DoubleUnaryOperator f, double a, double b, double fa,
                                  double fm, double fb, double whole, double eps, int depth) {
        double m = (a + b) / 2;
        double flm = f.applyAsDouble((a + m) / 2);
        double frm = f.applyAsDouble((m + b) / 2);
        double left = (m - a) / 6 * (fa + 4 * flm + fm);
        double right = (b - m) / 6 * (fm + 4 * frm + fb);
        double delta = left + right - whole;
        if (depth <= 0 || Math.abs(delta) <= 15 * eps) return left + right + delta / 15;
        return simpson(f, a, m, fa, flm, fm, left, eps / 2, depth - 1)
                + simpson(f, m, b, fm, frm, fb, right, eps / 2, depth - 1);
    }

    @Override
    public String displayName() {
        return displayName;
    }
}
