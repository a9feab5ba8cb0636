package dev.sdserve.forge;

import java.util.List;
import java.util.Optional;

/**
 * Multi-head scaled dot-product attention with its q/k/v/out projections, written into one module scope. The
 * projection names differ by model (diffusers {@code to_q ... to_out.0}, CLIP {@code q_proj ... out_proj}).
 *
 * @param dim     query width and output width
 * @param kvDim   width of the key/value input (the cross-attention dim for attn2)
 * @param heads   number of heads; dim must be a multiple
 * @param qkvBias whether q/k/v projections have biases (the output projection always has one)
 * @param names   the four projection module names: q, k, v, out
 */
record Attention(int dim, int kvDim, int heads, boolean qkvBias, List<String> names) {
    static final List<String> DIFFUSERS = List.of("to_q", "to_k", "to_v", "to_out.0");
    static final List<String> CLIP = List.of("q_proj", "k_proj", "v_proj", "out_proj");

    Attention {
        if (dim % heads != 0) throw new IllegalArgumentException("width " + dim + " not a multiple of heads " + heads);
    }

    /** attention(q = qIn, k = v = kvIn) [+ additive mask on the scores]; returns [B, N, dim]. */
    String build(Scope s, String qIn, String kvIn, Optional<String> mask) {
        int headDim = dim / heads;
        String q = Layers.linear(s.child(names.get(0)), qIn, dim, dim, qkvBias);
        String k = Layers.linear(s.child(names.get(1)), kvIn, kvDim, dim, qkvBias);
        String v = Layers.linear(s.child(names.get(2)), kvIn, kvDim, dim, qkvBias);
        String qh = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1, 3)), split(s, q, headDim));
        String kt = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 3, 1)), split(s, k, headDim));
        String vh = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1, 3)), split(s, v, headDim));
        String scores = s.op("MatMul", s.op("Mul", qh, s.scalar((float) (1.0 / Math.sqrt(headDim)))), kt);
        if (mask.isPresent()) scores = s.op("Add", scores, mask.get());
        String probs = s.op("Softmax", List.of(Attrs.i("axis", -1)), scores);
        String o = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1, 3)), s.op("MatMul", probs, vh));
        o = s.op("Reshape", List.of(Attrs.i("allowzero", 0)), o, s.ints(0, -1, dim));
        return Layers.linear(s.child(names.get(3)), o, dim, dim, true);
    }

    private String split(Scope s, String x, int headDim) {
        return s.op("Reshape", List.of(Attrs.i("allowzero", 0)), x, s.ints(0, -1, heads, headDim));
    }
}
