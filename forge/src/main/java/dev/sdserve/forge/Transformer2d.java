package dev.sdserve.forge;

import java.util.List;
import java.util.Optional;

/**
 * diffusers' Transformer2DModel with {@code layers} BasicTransformerBlocks (self-attention, cross-attention, GEGLU
 * feed-forward, each pre-LayerNorm with a residual), between GroupNorm + proj_in and proj_out + the block's
 * residual. SD1 projects with 1×1 convolutions; SD2 and SDXL ({@code use_linear_projection}) with Linear layers on
 * the token sequence. SD 1.x/2.x have one layer per block; SDXL 2 or 10.
 *
 * @param channels  block width (= inner dim)
 * @param heads     attention heads
 * @param layers    transformer blocks (transformer_layers_per_block)
 * @param crossDim  width of encoder_hidden_states
 * @param linear    use_linear_projection
 */
record Transformer2d(int channels, int heads, int layers, int crossDim, boolean linear) {
    private static final float NORM_EPS = 1e-6f;
    private static final float LAYER_NORM_EPS = 1e-5f;

    /** The module's output: proj_out(blocks(proj_in(norm(x)))) + x, named {@code <scope>/Add_output_0}. */
    static String build(Scope s, String x, Transformer2d t, String ehs) {
        int c = t.channels();
        String normed = Layers.groupNorm(s.child("norm"), x, c, NORM_EPS, 4);
        String seq = t.linear()
                ? Layers.linear(s.child("proj_in"), toSequence(s, normed, c), c, c, true)
                : toSequence(s, Layers.conv(s.child("proj_in"), normed, c, c, 1, 1, 0), c);
        for (int i = 0; i < t.layers(); i++) seq = t.block(s.child("transformer_blocks." + i), seq, ehs);
        String out = t.linear()
                ? toSpatial(s, Layers.linear(s.child("proj_out"), seq, c, c, true), x)
                : Layers.conv(s.child("proj_out"), toSpatial(s, seq, x), c, c, 1, 1, 0);
        return s.op("Add", out, x);
    }

    private String block(Scope s, String h, String ehs) {
        Attention self = new Attention(channels, channels, heads, false, Attention.DIFFUSERS);
        Attention cross = new Attention(channels, crossDim, heads, false, Attention.DIFFUSERS);
        String n1 = Layers.layerNorm(s.child("norm1"), h, channels, LAYER_NORM_EPS);
        h = s.op("Add", self.build(s.child("attn1"), n1, n1, Optional.empty()), h);
        String n2 = Layers.layerNorm(s.child("norm2"), h, channels, LAYER_NORM_EPS);
        h = s.op("Add", cross.build(s.child("attn2"), n2, ehs, Optional.empty()), h);
        String n3 = Layers.layerNorm(s.child("norm3"), h, channels, LAYER_NORM_EPS);
        return s.op("Add", geglu(s.child("ff"), n3), h);
    }

    /** FeedForward with GEGLU: proj to 2×4c, split, hidden * gelu(gate), then back to c. */
    private String geglu(Scope ff, String x) {
        int inner = 4 * channels;
        Scope net0 = ff.child("net.0");
        String proj = Layers.linear(net0.child("proj"), x, channels, 2 * inner, true);
        String hidden = net0.op("Slice", proj, net0.ints(0), net0.ints(inner), net0.ints(-1));
        String gate = net0.op("Slice", proj, net0.ints(inner), net0.ints(2 * inner), net0.ints(-1));
        String act = net0.op("Mul", hidden, Layers.gelu(net0, gate));
        return Layers.linear(ff.child("net.2"), act, inner, channels, true);
    }

    /** [B, C, H, W] → [B, H·W, C]. */
    private static String toSequence(Scope s, String x, int c) {
        String nhwc = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 3, 1)), x);
        return s.op("Reshape", List.of(Attrs.i("allowzero", 0)), nhwc, s.ints(0, -1, c));
    }

    /** [B, H·W, C] → the shape of {@code like} ([B, C, H, W]). */
    private static String toSpatial(Scope s, String seq, String like) {
        String bchw = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1)), seq);
        return s.op("Reshape", List.of(Attrs.i("allowzero", 0)), bchw, s.op("Shape", like));
    }
}
