package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;

/**
 * Elementwise float32 arithmetic for scheduler updates. Each update is written per element in float, in the
 * order diffusers' torch expression evaluates it, so results match torch to the last bit or two.
 */
final class Latents {
    private Latents() {
    }

    /** A per-element function of one tensor. */
    @FunctionalInterface
    interface Op1 {
        float apply(float x);
    }

    /** A per-element function of two tensors (e.g. model output and sample). */
    @FunctionalInterface
    interface Op2 {
        float apply(float a, float b);
    }

    static FloatTensor map(FloatTensor x, Op1 op) {
        float[] a = x.toArray();
        for (int i = 0; i < a.length; i++) a[i] = op.apply(a[i]);
        return FloatTensor.of(x.shape(), a);
    }

    static FloatTensor zip(FloatTensor x, FloatTensor y, Op2 op) {
        x.requireSameShape(y);
        float[] a = x.toArray();
        float[] b = y.toArray();
        for (int i = 0; i < a.length; i++) a[i] = op.apply(a[i], b[i]);
        return FloatTensor.of(x.shape(), a);
    }
}
