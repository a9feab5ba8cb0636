package dev.sdserve.forge;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Produces the values of one initializer, chunk by chunk. The values depend only on the model seed, the part
 * and the tensor name (SplitMix64 seeded from their hash), so a tensor's data never depends on the order in
 * which tensors are written, and the same seed gives the same bytes on every JVM.
 */
final class WeightStream {
    private final Weights.Spec spec;
    private long state;
    private long remaining;

    WeightStream(long seed, String part, Weights.Spec spec) {
        this.spec = spec;
        this.state = mix(seed ^ fnv64(part + "/" + spec.name()));
        this.remaining = spec.count();
    }

    boolean hasMore() {
        return remaining > 0;
    }

    /** Fills {@code out} (little-endian) with up to its remaining capacity of floats; returns the count. */
    int next(ByteBuffer out) {
        int n = (int) Math.min(remaining, out.remaining() / Float.BYTES);
        if (spec.init() instanceof Weights.Fill fill) {
            for (int i = 0; i < n; i++) out.putFloat(fill.value());
        } else {
            double bound = ((Weights.Uniform) spec.init()).bound();
            for (int i = 0; i < n; i += 2) {
                long bits = nextLong();
                out.putFloat(uniform(bits >>> 40, bound));
                if (i + 1 < n) out.putFloat(uniform((bits >>> 16) & 0xFFFFFF, bound));
            }
        }
        remaining -= n;
        return n;
    }

    /** Maps 24 random bits to U(-bound, bound). */
    private static float uniform(long bits24, double bound) {
        double u = (bits24 + 0.5) * (1.0 / (1 << 24));
        return (float) ((2.0 * u - 1.0) * bound);
    }

    private long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
