package dev.sdserve.orchestrator.noise;

import dev.sdserve.runtime.FloatTensor;

/**
 * A port of PyTorch's CPU generator, so that {@code torch.Generator("cpu").manual_seed(seed)} followed by
 * {@code torch.randn(shape)} (float32) gives the same numbers in Java: same seeds, same images as diffusers.
 *
 * <ul>
 *   <li>The engine is at::mt19937 (standard MT19937), seeded like torch: state[0] = seed mod 2³²,
 *       state[j] = 1812433253 · (state[j−1] ⊕ (state[j−1] ≫ 30)) + j.</li>
 *   <li>A float uniform in [0, 1) takes the low 24 bits of one 32-bit draw times 2⁻²⁴.</li>
 *   <li>randn of n ≥ 16 floats is torch's normal_fill: n uniforms first, then Box–Muller over each block of
 *       16 (u1 = 1 − data[j], u2 = data[j + 8], r = sqrt(−2 ln u1), θ = 2π u2, data[j] = r cos θ,
 *       data[j + 8] = r sin θ); when n is not a multiple of 16, 16 fresh uniforms overwrite the last 16
 *       values and are transformed again.</li>
 * </ul>
 * The log/sin/cos are those of torch's AVX2 kernel ({@link AvxMath}), which x86 CPUs with AVX2 run; the results
 * equal torch bit for bit (every fixture's latents_init). torch's scalar kernel (other CPUs, e.g. ARM) uses libm
 * and differs by up to ~1.4e-6. Tensors of fewer than 16 elements take a different (double) path in torch and
 * are rejected here. Not thread-safe.
 */
public final class TorchGenerator {
    private static final int N = 624;
    private static final int M = 397;
    private static final float TWO_POW_MINUS_24 = 1.0f / (1 << 24);
    private static final float TWO_PI = (float) (2 * Math.PI);

    private final int[] state = new int[N];
    private int next = N;

    public TorchGenerator(long seed) {
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            int prev = state[j - 1];
            state[j] = 1812433253 * (prev ^ (prev >>> 30)) + j;
        }
    }

    /** The next 32-bit output of the MT19937 engine (as an int; torch reads it as uint32). */
    public int nextInt() {
        if (next >= N) twist();
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** at::uniform_real_distribution&lt;float&gt;(0, 1): 24 random bits. */
    public float nextUniform() {
        return (nextInt() & 0xFFFFFF) * TWO_POW_MINUS_24;
    }

    /** torch.randn(n) as float32 (n ≥ 16). */
    public float[] randn(int n) {
        if (n < 16) throw new IllegalArgumentException("randn of " + n + " < 16 elements is not supported");
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = nextUniform();
        for (int i = 0; i + 16 <= n; i += 16) normalFill16(data, i);
        if (n % 16 != 0) {
            int start = n - 16;
            for (int i = 0; i < 16; i++) data[start + i] = nextUniform();
            normalFill16(data, start);
        }
        return data;
    }

    /** torch.randn(shape, generator) as a tensor. */
    public FloatTensor randn(long... shape) {
        long count = FloatTensor.elementCount(shape);
        if (count > Integer.MAX_VALUE) throw new IllegalArgumentException("too many elements: " + count);
        return FloatTensor.of(shape, randn((int) count));
    }

    /** normal_fill_16_AVX2: r = sqrt(−2 log u1), θ = float(2π) · u2, then r cos θ and r sin θ. */
    private static void normalFill16(float[] data, int off) {
        float[] sinCos = new float[2];
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - data[off + j];
            float u2 = data[off + j + 8];
            float radius = (float) Math.sqrt(-2f * AvxMath.log(u1));
            AvxMath.sincos(TWO_PI * u2, sinCos);
            data[off + j] = radius * sinCos[1];
            data[off + j + 8] = radius * sinCos[0];
        }
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (state[k] & 0x80000000) | (state[(k + 1) % N] & 0x7fffffff);
            state[k] = state[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        next = 0;
    }
}
