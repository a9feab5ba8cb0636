package dev.sdserve.forge;

import java.util.List;
import java.util.Optional;

/**
 * The layers every part is made of, each written as the TorchScript exporter writes it at opset 17
 * (GroupNorm as Reshape, InstanceNormalization, Reshape, Mul, Add; Linear as MatMul + Add, or Gemm for 2-D
 * inputs; SiLU as Sigmoid + Mul), with PyTorch's default initialisation: weights and biases U(±1/sqrt(fan_in)),
 * norm scales 1 and shifts 0.
 */
final class Layers {
    /** Norm groups of every GroupNorm in SD's UNet and VAE. */
    static final int GROUPS = 32;

    private Layers() {
    }

    /** nn.Conv2d with bias. */
    static String conv(Scope s, String x, int cin, int cout, int kernel, int stride, int pad) {
        Weights.Uniform init = Weights.fanIn((long) cin * kernel * kernel);
        String w = s.param("weight", init, cout, cin, kernel, kernel);
        String b = s.param("bias", init, cout);
        return s.op("Conv", List.of(Attrs.ints("dilations", 1, 1), Attrs.i("group", 1),
                Attrs.ints("kernel_shape", kernel, kernel), Attrs.ints("pads", pad, pad, pad, pad),
                Attrs.ints("strides", stride, stride)), x, w, b);
    }

    /** nn.Linear on a 2-D input, exported as Gemm with the weight in PyTorch layout. */
    static String gemm(Scope s, String x, int in, int out) {
        Weights.Uniform init = Weights.fanIn(in);
        String w = s.param("weight", init, out, in);
        String b = s.param("bias", init, out);
        return s.op("Gemm", List.of(Attrs.f("alpha", 1f), Attrs.f("beta", 1f), Attrs.i("transB", 1)), x, w, b);
    }

    /** nn.Linear on a 3-D input: MatMul with the transposed weight, then Add of the bias when it has one. */
    static String linear(Scope s, String x, int in, int out, boolean bias) {
        Weights.Uniform init = Weights.fanIn(in);
        String y = s.op("MatMul", x, s.weights().anonymous("MatMul", init, in, out));
        return bias ? s.op("Add", s.param("bias", init, out), y) : y;
    }

    /** nn.GroupNorm(32, c) on a [B, C, ...] tensor of the given rank (4 for images, 3 for [B, C, HW]). */
    static String groupNorm(Scope s, String x, int channels, float eps, int rank) {
        String grouped = s.op("Reshape", List.of(Attrs.i("allowzero", 0)), x, s.ints(0, GROUPS, -1));
        String normed = s.op("InstanceNormalization", List.of(Attrs.f("epsilon", eps)),
                grouped, s.filled(1f, GROUPS), s.filled(0f, GROUPS));
        String back = s.op("Reshape", List.of(Attrs.i("allowzero", 0)), normed, s.op("Shape", x));
        long[] affine = rank == 4 ? new long[] {channels, 1, 1} : new long[] {channels, 1};
        String scaled = s.op("Mul", back, s.weights().anonymous("Mul", new Weights.Fill(1f), affine));
        return s.op("Add", scaled, s.weights().anonymous("Add", new Weights.Fill(0f), affine));
    }

    /** nn.LayerNorm over the last axis. */
    static String layerNorm(Scope s, String x, int dim, float eps) {
        String w = s.param("weight", new Weights.Fill(1f), dim);
        String b = s.param("bias", new Weights.Fill(0f), dim);
        return s.op("LayerNormalization", List.of(Attrs.i("axis", -1), Attrs.f("epsilon", eps)), x, w, b);
    }

    /** SiLU as the exporter writes it: x * sigmoid(x). */
    static String silu(Scope s, String x) {
        return s.op("Mul", x, s.op("Sigmoid", x));
    }

    /** Exact GELU: x * (1 + erf(x / sqrt 2)) * 0.5. */
    static String gelu(Scope s, String x) {
        String erf = s.op("Erf", s.op("Div", x, s.scalar((float) Math.sqrt(2.0))));
        return s.op("Mul", s.op("Mul", x, s.op("Add", erf, s.scalar(1f))), s.scalar(0.5f));
    }

    /** A VAE ResnetBlock2D (no time embedding). */
    static String resnet(Scope s, String x, int cin, int cout, float eps) {
        return resnet(s, x, cin, cout, eps, Optional.empty());
    }

    /** A UNet ResnetBlock2D, adding the projected time embedding after conv1. */
    static String resnet(Scope s, String x, int cin, int cout, float eps, TimeEmbedding temb) {
        return resnet(s, x, cin, cout, eps, Optional.of(temb));
    }

    private static String resnet(Scope s, String x, int cin, int cout, float eps, Optional<TimeEmbedding> temb) {
        int act = 0;
        String h = silu(s.child(nonlinearity(act++)), groupNorm(s.child("norm1"), x, cin, eps, 4));
        h = conv(s.child("conv1"), h, cin, cout, 3, 1, 1);
        if (temb.isPresent()) {
            TimeEmbedding t = temb.get();
            if (t.activateIn(s.child(nonlinearity(act)))) act++;
            String proj = gemm(s.child("time_emb_proj"), t.activated(), t.dim(), cout);
            proj = s.op("Unsqueeze", proj, s.ints(2));
            h = s.op("Add", h, s.op("Unsqueeze", proj, s.ints(3)));
        }
        h = silu(s.child(nonlinearity(act)), groupNorm(s.child("norm2"), h, cout, eps, 4));
        h = conv(s.child("conv2"), h, cout, cout, 3, 1, 1);
        String shortcut = cin == cout ? x : conv(s.child("conv_shortcut"), x, cin, cout, 1, 1, 0);
        // output_scale_factor is 1.0; the exporter keeps the division, and up-path tensors are named after it
        return s.op("Div", s.op("Add", shortcut, h), s.scalar(1f));
    }

    /** The exporter's scope name for the n-th call of a resnet's shared SiLU module. */
    private static String nonlinearity(int call) {
        return call == 0 ? "nonlinearity" : "nonlinearity_" + call;
    }
}
