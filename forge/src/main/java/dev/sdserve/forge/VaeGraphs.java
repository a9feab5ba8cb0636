package dev.sdserve.forge;

import java.util.List;
import java.util.Optional;

/**
 * diffusers' AutoencoderKL split as the ONNX pipeline splits it. vae_encoder: {@code sample} [batch,3,H,W] →
 * encoder → quant_conv → the mean (first 4 channels) as {@code latent_sample}, or, as current optimum exports
 * write it, both moments (mean, then log-variance) as {@code latent_parameters}. vae_decoder: {@code latent_sample}
 * [batch,4,h,w] → post_quant_conv → decoder → {@code sample} [batch,3,8h,8w].
 */
final class VaeGraphs {
    private static final float EPS = 1e-6f;

    private VaeGraphs() {
    }

    static Graph encoder(ModelDims.Vae dims) {
        Graph g = new Graph("vae_encoder");
        int[] ch = dims.blockOut();
        Scope root = g.root();
        Scope enc = root.child("encoder");
        String x = g.input("sample", Graph.FLOAT, "batch", 3, "height", "width");
        x = Layers.conv(enc.child("conv_in"), x, 3, ch[0], 3, 1, 1);
        int cin = ch[0];
        for (int i = 0; i < 4; i++) {
            Scope b = enc.child("down_blocks." + i);
            for (int j = 0; j < dims.layersPerBlock(); j++) {
                x = Layers.resnet(b.child("resnets." + j), x, j == 0 ? cin : ch[i], ch[i], EPS);
            }
            cin = ch[i];
            if (i < 3) x = downsample(b.child("downsamplers.0"), x, ch[i]);
        }
        x = midBlock(enc.child("mid_block"), x, ch[3]);
        x = head(enc, x, ch[3], 2 * ModelDims.LATENT_CHANNELS);
        x = Layers.conv(root.child("quant_conv"), x, 8, 8, 1, 1, 0);
        if (dims.latentParameters()) {
            g.output(x, "latent_parameters", Graph.FLOAT, "batch", 2 * ModelDims.LATENT_CHANNELS,
                    "height_latent", "width_latent");
            return g;
        }
        // the mean of the diagonal Gaussian: channels [0, 4)
        String mean = root.op("Slice", x, root.ints(0), root.ints(ModelDims.LATENT_CHANNELS), root.ints(1));
        g.output(mean, "latent_sample", Graph.FLOAT, "batch", ModelDims.LATENT_CHANNELS, "height_latent", "width_latent");
        return g;
    }

    static Graph decoder(ModelDims.Vae dims) {
        Graph g = new Graph("vae_decoder");
        int[] ch = dims.blockOut();
        Scope root = g.root();
        Scope dec = root.child("decoder");
        int latent = ModelDims.LATENT_CHANNELS;
        String x = g.input("latent_sample", Graph.FLOAT, "batch", latent, "height_latent", "width_latent");
        x = Layers.conv(root.child("post_quant_conv"), x, latent, latent, 1, 1, 0);
        x = Layers.conv(dec.child("conv_in"), x, latent, ch[3], 3, 1, 1);
        x = midBlock(dec.child("mid_block"), x, ch[3]);
        int prev = ch[3];
        for (int i = 0; i < 4; i++) {
            int c = ch[3 - i];
            Scope b = dec.child("up_blocks." + i);
            for (int j = 0; j <= dims.layersPerBlock(); j++) {
                x = Layers.resnet(b.child("resnets." + j), x, j == 0 ? prev : c, c, EPS);
            }
            prev = c;
            if (i < 3) x = upsample(b.child("upsamplers.0"), x, c);
        }
        x = head(dec, x, ch[0], 3);
        g.output(x, "sample", Graph.FLOAT, "batch", 3, "height", "width");
        return g;
    }

    /** Downsample2D of the VAE: pad (0,1,0,1) then a stride-2 convolution without padding. */
    private static String downsample(Scope s, String x, int c) {
        String pads = s.ints(0, 0, 0, 0, 0, 0, 1, 1);
        String padded = s.op("Pad", List.of(Attrs.s("mode", "constant")), x, pads, s.scalar(0f));
        return Layers.conv(s.child("conv"), padded, c, c, 3, 2, 0);
    }

    /** Upsample2D: nearest ×2 then a 3×3 convolution. */
    private static String upsample(Scope s, String x, int c) {
        String scales = s.floats(new long[] {4}, 1f, 1f, 2f, 2f);
        String resized = s.op("Resize", List.of(Attrs.s("coordinate_transformation_mode", "asymmetric"),
                Attrs.f("cubic_coeff_a", -0.75f), Attrs.s("mode", "nearest"), Attrs.s("nearest_mode", "floor")),
                x, "", scales);
        return Layers.conv(s.child("conv"), resized, c, c, 3, 1, 1);
    }

    private static String midBlock(Scope m, String x, int c) {
        x = Layers.resnet(m.child("resnets.0"), x, c, c, EPS);
        x = attention(m.child("attentions.0"), x, c);
        return Layers.resnet(m.child("resnets.1"), x, c, c, EPS);
    }

    /** The VAE's single-head self-attention over the H·W positions, with its own GroupNorm and residual. */
    private static String attention(Scope s, String x, int c) {
        String flat = s.op("Reshape", List.of(Attrs.i("allowzero", 0)), x, s.ints(0, c, -1));
        String normed = Layers.groupNorm(s.child("group_norm"), flat, c, EPS, 3);
        String seq = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1)), normed);
        String attended = new Attention(c, c, 1, true, Attention.DIFFUSERS).build(s, seq, seq, Optional.empty());
        String back = s.op("Transpose", List.of(Attrs.ints("perm", 0, 2, 1)), attended);
        back = s.op("Reshape", List.of(Attrs.i("allowzero", 0)), back, s.op("Shape", x));
        return s.op("Div", s.op("Add", back, x), s.scalar(1f));
    }

    /** conv_norm_out, conv_act (SiLU), conv_out. */
    private static String head(Scope s, String x, int c, int out) {
        x = Layers.groupNorm(s.child("conv_norm_out"), x, c, EPS, 4);
        x = Layers.silu(s.child("conv_act"), x);
        return Layers.conv(s.child("conv_out"), x, c, out, 3, 1, 1);
    }
}
