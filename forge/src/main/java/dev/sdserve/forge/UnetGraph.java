package dev.sdserve.forge;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * diffusers' UNet2DConditionModel as an ONNX graph: time_proj + time_embedding, conv_in, the down blocks
 * (CrossAttnDownBlock2D where the level has attention, DownBlock2D where not), UNetMidBlock2DCrossAttn, the up
 * blocks in reverse with skip concatenations, then conv_norm_out / conv_act / conv_out. SD 1.x/2.x: 3 attention
 * levels + 1 plain; SDXL: 1 plain + 2 attention levels with several transformer layers, and the text_time
 * conditioning (add_time_proj, add_embedding) added to the time embedding.
 *
 * <p>Inputs and outputs are those of the diffusers/optimum ONNX exports: {@code sample} [batch,4,height,width],
 * {@code timestep} float [batch] (SDXL: a float scalar), {@code encoder_hidden_states} [batch,sequence,D],
 * SDXL's {@code text_embeds} [batch,P] and {@code time_ids} [batch,6] → {@code out_sample}.
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
        String timestep = dims.textTime().isPresent()
                ? graph.input("timestep", Graph.FLOAT)
                : graph.input("timestep", Graph.FLOAT, "batch");
        ehs = graph.input("encoder_hidden_states", Graph.FLOAT, "batch", "sequence", dims.crossAttentionDim());
        String emb = timeEmbedding(root, sample, timestep, ch[0]);
        if (dims.textTime().isPresent()) emb = root.op("Add", emb, textTimeEmbedding(root, dims.textTime().get()));
        temb = new TimeEmbedding(emb, dims.timeEmbedDim());
        String x = Layers.conv(root.child("conv_in"), sample, ModelDims.LATENT_CHANNELS, ch[0], 3, 1, 1);
        skips.push(new Skip(x, ch[0]));
        int cin = ch[0];
        for (int i = 0; i < dims.levels(); i++) {
            x = downBlock(root.child("down_blocks." + i), i, x, cin);
            cin = ch[i];
        }
        x = midBlock(root.child("mid_block"), x);
        for (int i = 0; i < dims.levels(); i++) x = upBlock(root.child("up_blocks." + i), i, x);
        x = Layers.groupNorm(root.child("conv_norm_out"), x, ch[0], RESNET_EPS, 4);
        x = Layers.silu(root.child("conv_act"), x);
        x = Layers.conv(root.child("conv_out"), x, ch[0], ModelDims.LATENT_CHANNELS, 3, 1, 1);
        graph.output(x, "out_sample", Graph.FLOAT, "batch", ModelDims.LATENT_CHANNELS, "height", "width");
        return graph;
    }

    /** Sinusoidal time_proj (flip_sin_to_cos, freq_shift 0) and the linear_1 / SiLU / linear_2 MLP. */
    private static String timeEmbedding(Scope root, String sample, String timestep, int c0) {
        // timesteps.expand(sample.shape[0]): one t (a scalar or [1]) may serve the whole batch
        String batch = root.op("Gather", List.of(Attrs.i("axis", 0)), root.op("Shape", sample), root.ints(0));
        String t = root.op("Expand", timestep, batch);
        String emb = sinusoids(root.child("time_proj"), t, c0);
        return mlp(root.child("time_embedding"), emb, c0, 4 * c0);
    }

    /**
     * SDXL's aug_emb: add_embedding(concat(text_embeds, add_time_proj(time_ids.flatten()).reshape(B, -1))), a
     * TimestepEmbedding from projection_class_embeddings_input_dim to the time embedding width.
     */
    private String textTimeEmbedding(Scope root, ModelDims.TextTime tt) {
        String textEmbeds = graph.input("text_embeds", Graph.FLOAT, "batch", tt.textEmbedsDim());
        String timeIds = graph.input("time_ids", Graph.FLOAT, "batch", ModelDims.TextTime.TIME_IDS);
        String flat = root.op("Reshape", List.of(Attrs.i("allowzero", 0)), timeIds, root.ints(-1));
        String proj = sinusoids(root.child("add_time_proj"), flat, tt.timeEmbedDim());
        String perRow = root.op("Reshape", List.of(Attrs.i("allowzero", 0)), proj,
                root.ints(-1, (long) ModelDims.TextTime.TIME_IDS * tt.timeEmbedDim()));
        String cond = root.op("Concat", List.of(Attrs.i("axis", -1)), textEmbeds, perRow);
        return mlp(root.child("add_embedding"), cond, tt.inputDim(), dims.timeEmbedDim());
    }

    /** diffusers' Timesteps(dim, flip_sin_to_cos=True, freq_shift=0) on a 1-D tensor: [N] → [N, dim]. */
    private static String sinusoids(Scope proj, String t, int dim) {
        int half = dim / 2;
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++) freqs[i] = (float) Math.exp(-Math.log(10000.0) * i / half);
        String arg = proj.op("Mul", proj.op("Unsqueeze", t, proj.ints(1)), proj.floats(new long[] {1, half}, freqs));
        return proj.op("Concat", List.of(Attrs.i("axis", -1)), proj.op("Cos", arg), proj.op("Sin", arg));
    }

    /** TimestepEmbedding: linear_1, SiLU, linear_2. */
    private static String mlp(Scope te, String x, int in, int out) {
        String h = Layers.silu(te.child("act"), Layers.gemm(te.child("linear_1"), x, in, out));
        return Layers.gemm(te.child("linear_2"), h, out, out);
    }

    private String downBlock(Scope b, int i, String x, int cin) {
        int c = dims.blockOut()[i];
        for (int j = 0; j < dims.layersPerBlock(); j++) {
            x = Layers.resnet(b.child("resnets." + j), x, j == 0 ? cin : c, c, RESNET_EPS, temb);
            if (dims.depth()[i] > 0) x = transformer(b.child("attentions." + j), x, i);
            skips.push(new Skip(x, c));
        }
        if (i < dims.levels() - 1) {
            x = Layers.conv(b.child("downsamplers.0").child("conv"), x, c, c, 3, 2, 1);
            skips.push(new Skip(x, c));
        }
        return x;
    }

    private String midBlock(Scope m, String x) {
        int last = dims.levels() - 1;
        int c = dims.blockOut()[last];
        x = Layers.resnet(m.child("resnets.0"), x, c, c, RESNET_EPS, temb);
        x = transformer(m.child("attentions.0"), x, last);
        return Layers.resnet(m.child("resnets.1"), x, c, c, RESNET_EPS, temb);
    }

    /** Up block i: each resnet takes concat([up path, skip]); branch b's cut is the up-path input of a Concat. */
    private String upBlock(Scope b, int i, String x) {
        int top = dims.levels() - 1;
        int level = top - i;
        int c = dims.blockOut()[level];
        int prev = dims.blockOut()[Math.min(level + 1, top)];
        for (int j = 0; j <= dims.layersPerBlock(); j++) {
            Skip skip = skips.pop();
            String cat = b.op("Concat", List.of(Attrs.i("axis", 1)), x, skip.tensor());
            x = Layers.resnet(b.child("resnets." + j), cat, (j == 0 ? prev : c) + skip.channels(), c, RESNET_EPS, temb);
            if (dims.depth()[level] > 0) x = transformer(b.child("attentions." + j), x, level);
        }
        if (i < top) {
            Scope up = b.child("upsamplers.0");
            String scales = up.floats(new long[] {4}, 1f, 1f, 2f, 2f);
            String resized = up.op("Resize", List.of(Attrs.s("coordinate_transformation_mode", "asymmetric"),
                    Attrs.f("cubic_coeff_a", -0.75f), Attrs.s("mode", "nearest"), Attrs.s("nearest_mode", "floor")),
                    x, "", scales);
            x = Layers.conv(up.child("conv"), resized, c, c, 3, 1, 1);
        }
        return x;
    }

    /** The Transformer2DModel of a level; the mid block's has the last level's depth (at least 1). */
    private String transformer(Scope s, String x, int level) {
        return Transformer2d.build(s, x, new Transformer2d(dims.blockOut()[level], dims.heads()[level],
                Math.max(1, dims.depth()[level]), dims.crossAttentionDim(), dims.linearProjection()), ehs);
    }
}
