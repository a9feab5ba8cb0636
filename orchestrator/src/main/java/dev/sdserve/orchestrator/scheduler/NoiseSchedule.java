package dev.sdserve.orchestrator.scheduler;

/**
 * The training noise schedule shared by every scheduler: betas, alphas_cumprod and the Karras-style sigmas,
 * computed with the same float32 arithmetic as diffusers on torch's CPU kernels so that sigmas agree bit for bit
 * (checked against the Euler fixtures).
 *
 * <ul>
 *   <li>torch.linspace(float32) computes {@code start + step*i} for the first half and {@code end - step*(n-1-i)}
 *       for the second, fused into one rounding (the kernel is built with FMA), with {@code step} in float.</li>
 *   <li>torch.cumprod on float32 accumulates in double and rounds each prefix to float.</li>
 * </ul>
 */
public final class NoiseSchedule {
    private final float[] alphasCumprod;

    /** alphas = 1 − betas in float32; their cumulative product accumulated in double, as torch.cumprod. */
    private NoiseSchedule(float[] betas) {
        this.alphasCumprod = new float[betas.length];
        double acc = 1.0;
        for (int i = 0; i < betas.length; i++) {
            acc *= (1.0f - betas[i]);
            alphasCumprod[i] = (float) acc;
        }
    }

    /** The schedule named by {@code beta_schedule} (or {@code trained_betas}) of a config. */
    public static NoiseSchedule of(SchedulerConfig c) {
        int n = c.num_train_timesteps();
        if (c.trained_betas() != null) {
            float[] b = new float[c.trained_betas().length];
            for (int i = 0; i < b.length; i++) b[i] = (float) c.trained_betas()[i];
            return new NoiseSchedule(b);
        }
        return switch (c.beta_schedule()) {
            case "linear" -> new NoiseSchedule(linspaceF32(c.beta_start(), c.beta_end(), n));
            case "scaled_linear" -> {
                float[] b = linspaceF32(Math.sqrt(c.beta_start()), Math.sqrt(c.beta_end()), n);
                for (int i = 0; i < n; i++) b[i] = b[i] * b[i];
                yield new NoiseSchedule(b);
            }
            case "squaredcos_cap_v2" -> new NoiseSchedule(cosineBetas(n));
            default -> throw new IllegalStateException("unchecked beta_schedule " + c.beta_schedule());
        };
    }

    public int trainSteps() {
        return alphasCumprod.length;
    }

    /** alphas_cumprod[t] (ᾱ_t). */
    public float alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** ᾱ for a previous timestep, or {@code finalAlpha} when it falls before 0 (DDIM/PNDM's final_alpha_cumprod). */
    public float alphaCumprodOr(int t, float finalAlpha) {
        return t >= 0 ? alphasCumprod[t] : finalAlpha;
    }

    /** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) for every train timestep, in float32 as diffusers computes it. */
    public float[] sigmas() {
        float[] s = new float[alphasCumprod.length];
        for (int i = 0; i < s.length; i++) {
            float a = alphasCumprod[i];
            s[i] = (float) Math.sqrt((1.0f - a) / a);
        }
        return s;
    }

    /**
     * numpy's {@code np.interp(x, arange(len(table)), table)}: linear interpolation in double over integer
     * abscissae, clamped at both ends.
     */
    public static double interp(double x, float[] table) {
        if (x <= 0) return table[0];
        int last = table.length - 1;
        if (x >= last) return table[last];
        int j = (int) Math.floor(x);
        double slope = (double) table[j + 1] - table[j];
        return slope * (x - j) + table[j];
    }

    /** torch.linspace(start, end, n, dtype=float32) on the CPU. */
    static float[] linspaceF32(double startD, double endD, int n) {
        float start = (float) startD;
        float end = (float) endD;
        float[] out = new float[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (float) (n - 1);
        int halfway = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (n - 1 - i), end);
        }
        return out;
    }

    /** diffusers' betas_for_alpha_bar with the cosine alpha_bar (max_beta 0.999), in double, then float32. */
    private static float[] cosineBetas(int n) {
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            b[i] = (float) Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(t1), 0.999);
        }
        return b;
    }

    private static double cosineAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }
}
