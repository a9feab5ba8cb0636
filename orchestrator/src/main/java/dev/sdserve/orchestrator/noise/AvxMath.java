package dev.sdserve.orchestrator.noise;

/**
 * The float32 log and sin/cos of torch's AVX2 normal_fill ({@code ATen/native/cpu/avx_mathfun.h}, Cephes
 * polynomials after Julien Pommier's sse_mathfun), reproduced operation by operation. PyTorch compiles that
 * header with FMA enabled and GCC contracts each multiply feeding an add into one fused operation; the
 * {@link Math#fma} calls below sit exactly where that contraction happens, which makes the results bit-exact
 * with torch (checked on every fixture's latents_init).
 */
final class AvxMath {
    private static final float SQRTHF = (float) 0.707106781186547524;
    private static final float[] LOG_P = {
        (float) 7.0376836292E-2, (float) -1.1514610310E-1, (float) 1.1676998740E-1, (float) -1.2420140846E-1,
        (float) 1.4249322787E-1, (float) -1.6668057665E-1, (float) 2.0000714765E-1, (float) -2.4999993993E-1,
        (float) 3.3333331174E-1};
    private static final float LOG_Q1 = (float) -2.12194440e-4;
    private static final float LOG_Q2 = 0.693359375f;
    private static final float FOPI = (float) 1.27323954473516; // 4 / π
    private static final float DP1 = -0.78515625f;
    private static final float DP2 = (float) -2.4187564849853515625e-4;
    private static final float DP3 = (float) -3.77489497744594108e-8;
    private static final float[] SIN_P = {(float) -1.9515295891E-4, (float) 8.3321608736E-3, (float) -1.6666654611E-1};
    private static final float[] COS_P = {
        (float) 2.443315711809948E-005, (float) -1.388731625493765E-003, (float) 4.166664568298827E-002};

    private AvxMath() {
    }

    /** log256_ps for x in (0, 1]: x = m · 2^e with m in [√½, √2), log = e·ln2 + polynomial(m − 1). */
    static float log(float v) {
        float x = Math.max(v, Float.MIN_NORMAL);
        int bits = Float.floatToRawIntBits(x);
        float e = (float) ((bits >>> 23) - 0x7f) + 1f;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
        boolean small = x < SQRTHF;
        float tmp = small ? x : 0f;
        x = x - 1f;
        e = e - (small ? 1f : 0f);
        x = x + tmp;
        float z = x * x;
        float y = LOG_P[0];
        for (int k = 1; k < LOG_P.length; k++) y = Math.fma(y, x, LOG_P[k]);
        y = y * x;
        y = Math.fma(y, z, e * LOG_Q1);
        y = Math.fma(-z, 0.5f, y);
        x = x + y;
        return Math.fma(e, LOG_Q2, x);
    }

    /** sincos256_ps: {sin θ, cos θ} by octant reduction (extended-precision π/4) and two minimax polynomials. */
    static void sincos(float theta, float[] sinCos) {
        float x = Math.abs(theta);
        int j = ((int) (x * FOPI) + 1) & ~1;
        float y = (float) j;
        int sinSign = (Float.floatToRawIntBits(theta) & 0x80000000) ^ ((j & 4) << 29);
        int cosSign = (~(j - 2) & 4) << 29;
        boolean sinPoly = (j & 2) == 0;
        x = Math.fma(y, DP1, x);
        x = Math.fma(y, DP2, x);
        x = Math.fma(y, DP3, x);
        float z = x * x;
        float c = Math.fma(COS_P[0], z, COS_P[1]);
        c = Math.fma(c, z, COS_P[2]);
        c = c * z;
        c = Math.fma(c, z, -(z * 0.5f));
        c = c + 1f;
        float s = Math.fma(SIN_P[0], z, SIN_P[1]);
        s = Math.fma(s, z, SIN_P[2]);
        s = s * z;
        s = Math.fma(s, x, x);
        sinCos[0] = flipSign(sinPoly ? s : c, sinSign);
        sinCos[1] = flipSign(sinPoly ? c : s, cosSign);
    }

    private static float flipSign(float v, int signBit) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(v) ^ signBit);
    }
}
