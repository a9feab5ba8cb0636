package dev.sdserve.forge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The initializers of one graph, recorded as specifications (name, shape, initial distribution) rather than
 * data. Data is produced only when the graph is written, one tensor at a time, so that a full-size model never
 * sits in memory.
 *
 * <p>Names follow the TorchScript exporter: a tensor stored in PyTorch's own layout is named by its module
 * path ({@code up_blocks.3.resnets.2.conv1.weight}); one whose layout the exporter changed (the transposed weight
 * of a MatMul, a GroupNorm affine reshaped to {@code [C,1,1]}) gets an anonymous {@code onnx::<Op>_<n>} name.
 */
final class Weights {
    /** How a tensor is initialised. */
    sealed interface Init permits Uniform, Fill {
    }

    /** U(-bound, bound): PyTorch's default for Linear/Conv weights and biases with bound = 1/sqrt(fan_in). */
    record Uniform(double bound) implements Init {
    }

    /** Every element equal to {@code value} (norm scales 1, norm shifts 0). */
    record Fill(float value) implements Init {
    }

    /** One initializer. */
    record Spec(String name, long[] dims, Init init) {
        long count() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        long bytes() {
            return count() * Float.BYTES;
        }
    }

    private final List<Spec> specs = new ArrayList<>();
    private int anonymous = 100;

    /** A parameter named by its module path. */
    String param(String name, Init init, long... dims) {
        specs.add(new Spec(name, dims.clone(), init));
        return name;
    }

    /** A parameter in an exporter-changed layout, named {@code onnx::<op>_<n>}. */
    String anonymous(String op, Init init, long... dims) {
        return param("onnx::" + op + "_" + anonymous++, init, dims);
    }

    /** PyTorch's default bound for a layer with the given fan-in. */
    static Uniform fanIn(long fanIn) {
        return new Uniform(1.0 / Math.sqrt(fanIn));
    }

    List<Spec> specs() {
        return Collections.unmodifiableList(specs);
    }

    long parameterCount() {
        return specs.stream().mapToLong(Spec::count).sum();
    }

    long bytes() {
        return specs.stream().mapToLong(Spec::bytes).sum();
    }
}
