package dev.sdserve.forge;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * diffusers' UNet2DConditionModel as an ONNX graph: time_proj + time_embedding, conv_in, 3 CrossAttnDownBlock2D
 * + DownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D + 3 CrossAttnUpBlock2D with skip concatenations, then
 * conv_norm_out / conv_act / conv_out. Inputs and outputs are those of the diffusers ONNX export:
 * {@code sample} [batch,4,height,width], {@code timestep} float [batch], {@code encoder_hidden_states}
 * [batch,sequence,D] → {@code out_sample}.
 */
final class UnetGraph {
    private static final float RESNET_EPS = 1e-5f;

    /** A tensor kept for a skip connection and its channel count. */
    private record Skip(String tensor, int channels) {
    }

    private final ModelDims.Unet dims;
    private final Graph graph = new Graph("unet");
    private final Deque<Skip> skips = new ArrayDeque<>();
    private String ehs;
    private TimeEmbedding temb;

    private UnetGraph(ModelDims.Unet dims) {
        this.dims = dims;
    }

    static Graph build(ModelDims.Unet dims) {
        return new UnetGraph(dims).build();
    }

    private Graph build() {
        int[] ch = dims.blockOut();
        Scope root = graph.root();
        String sample = graph.input("sample", Graph.FLOAT, "batch", ModelDims.LATENT_CHANNELS, "height", "width");
        String timestep = graph.input("timestep", Graph.FLOAT, "batch");
        ehs = graph.input("encoder_hidden_states", Graph.FLOAT, "batch", "sequence", dims.crossAttentionDim());
        temb = timeEmbedding(root, sample, timestep, ch[0]);
        String x = Layers.conv(root.child("conv_in"), sample, ModelDims.LATENT_CHANNELS, ch[0], 3, 1, 1);
        skips.push(new Skip(x, ch[0]));
        int cin = ch[0];
        for (int i = 0; i < 4; i++) {
            x = downBlock(root.child("down_blocks." + i), i, x, cin);
            cin = ch[i];
        }
        x = midBlock(root.child("mid_block"), x);
        for (int i = 0; i < 4; i++) x = upBlock(root.child("up_blocks." + i), i, x);
        x = Layers.groupNorm(root.child("conv_norm_out"), x, ch[0], RESNET_EPS, 4);
        x = Layers.silu(root.child("conv_act"), x);
        x = Layers.conv(root.child("conv_out"), x, ch[0], ModelDims.LATENT_CHANNELS, 3, 1, 1);
        graph.output(x, "out_sample", Graph.FLOAT, "batch", ModelDims.LATENT_CHANNELS, "height", "width");
        return graph;
    }

    /** Sinusoidal time_proj (flip_sin_to_cos, freq_shift 0) and the linear_1 / SiLU / linear_2 MLP. */
    private static TimeEmbedding timeEmbedding(Scope root, String sample, String timestep, int c0) {
        // timesteps.expand(sample.shape[0]): one t may serve the whole batch
        String batch = root.op("Gather", List.of(Attrs.i("axis", 0)), root.op("Shape", sample), root.ints(0));
        String t = root.op("Expand", timestep, batch);
        Scope proj = root.child("time_proj");
        int half = c0 / 2;
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++) freqs[i] = (float) Math.exp(-Math.log(10000.0) * i / half);
        String arg = proj.op("Mul", proj.op("Unsqueeze", t, proj.ints(1)), proj.floats(new long[] {1, half}, freqs));
        String emb = proj.op("Concat", List.of(Attrs.i("axis", -1)), proj.op("Cos", arg), proj.op("Sin", arg));
        Scope te = root.child("time_embedding");
        String h = Layers.gemm(te.child("linear_1"), emb, c0, 4 * c0);
        h = Layers.silu(te.child("act"), h);
        return new TimeEmbedding(Layers.gemm(te.child("linear_2"), h, 4 * c0, 4 * c0), 4 * c0);
    }

    private String downBlock(Scope b, int i, String x, int cin) {
        int c = dims.blockOut()[i];
        for (int j = 0; j < dims.layersPerBlock(); j++) {
            x = Layers.resnet(b.child("resnets." + j), x, j == 0 ? cin : c, c, RESNET_EPS, temb);
            if (i < 3) x = transformer(b.child("attentions." + j), x, c, dims.heads()[i]);
            skips.push(new Skip(x, c));
        }
        if (i < 3) {
            x = Layers.conv(b.child("downsamplers.0").child("conv"), x, c, c, 3, 2, 1);
            skips.push(new Skip(x, c));
        }
        return x;
    }

    private String midBlock(Scope m, String x) {
        int c = dims.blockOut()[3];
        x = Layers.resnet(m.child("resnets.0"), x, c, c, RESNET_EPS, temb);
        x = transformer(m.child("attentions.0"), x, c, dims.heads()[3]);
        return Layers.resnet(m.child("resnets.1"), x, c, c, RESNET_EPS, temb);
    }

    /** Up block i: each resnet takes concat([up path, skip]); branch b's cut is the up-path input of a Concat. */
    private String upBlock(Scope b, int i, String x) {
        int level = 3 - i;
        int c = dims.blockOut()[level];
        int prev = dims.blockOut()[Math.min(level + 1, 3)];
        for (int j = 0; j <= dims.layersPerBlock(); j++) {
            Skip skip = skips.pop();
            String cat = b.op("Concat", List.of(Attrs.i("axis", 1)), x, skip.tensor());
            x = Layers.resnet(b.child("resnets." + j), cat, (j == 0 ? prev : c) + skip.channels(), c, RESNET_EPS, temb);
            if (i > 0) x = transformer(b.child("attentions." + j), x, c, dims.heads()[level]);
        }
        if (i < 3) {
            Scope up = b.child("upsamplers.0");
            String scales = up.floats(new long[] {4}, 1f, 1f, 2f, 2f);
            String resized = up.op("Resize", List.of(Attrs.s("coordinate_transformation_mode", "asymmetric"),
                    Attrs.f("cubic_coeff_a", -0.75f), Attrs.s("mode", "nearest"), Attrs.s("nearest_mode", "floor")),
                    x, "", scales);
            x = Layers.conv(up.child("conv"), resized, c, c, 3, 1, 1);
        }
        return x;
    }

    private String transformer(Scope s, String x, int channels, int heads) {
        return Transformer2d.build(s, x, new Transformer2d(channels, heads, dims.crossAttentionDim(),
                dims.linearProjection()), ehs);
    }
}
