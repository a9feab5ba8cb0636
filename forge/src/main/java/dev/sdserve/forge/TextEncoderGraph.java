package dev.sdserve.forge;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * transformers' CLIPTextModel as an ONNX graph: token + position embeddings, pre-LayerNorm encoder layers with a
 * causal mask, final_layer_norm → {@code last_hidden_state}, and {@code pooler_output} = the hidden state at the
 * first {@code <|endoftext|>} of each row. Input {@code input_ids} [batch, sequence], sequence ≤ 77: int32 on
 * SD 1.x/2.x exports, int64 on SDXL's, which also output every layer's input as {@code hidden_states.0 … L}
 * (the pipeline reads the penultimate). SDXL's second encoder (CLIPTextModelWithProjection) outputs
 * {@code text_embeds} = text_projection(pooled) instead of pooler_output.
 */
final class TextEncoderGraph {
    private static final float EPS = 1e-5f;

    private TextEncoderGraph() {
    }

    /** @param part the part folder (text_encoder or text_encoder_2), which also seeds the weights */
    static Graph build(ModelDims.Text t, String part) {
        Graph g = new Graph(part);
        Scope root = g.root();
        int idType = t.io() == ModelDims.TextIo.SD ? Graph.INT32 : Graph.INT64;
        String ids = g.input("input_ids", idType, "batch", "sequence");
        String seqLen = root.op("Gather", List.of(Attrs.i("axis", 0)), root.op("Shape", ids), root.ints(1));
        String h = embeddings(root.child("embeddings"), ids, seqLen, t);
        List<String> hidden = new ArrayList<>(List.of(h));
        String mask = causalMask(root, seqLen);
        Scope enc = root.child("encoder");
        for (int i = 0; i < t.layers(); i++) {
            h = layer(enc.child("layers." + i), h, mask, t);
            hidden.add(h);
        }
        String last = Layers.layerNorm(root.child("final_layer_norm"), h, t.hidden(), EPS);
        String pooled = pooler(root, ids, idType, last, t.eosId());
        if (t.io() == ModelDims.TextIo.SDXL_PROJECTED) {
            Scope proj = root.child("text_projection");
            String w = proj.weights().anonymous("MatMul", Weights.fanIn(t.hidden()), t.hidden(), t.hidden());
            g.output(proj.op("MatMul", pooled, w), "text_embeds", Graph.FLOAT, "batch", t.hidden());
            g.output(last, "last_hidden_state", Graph.FLOAT, "batch", "sequence", t.hidden());
        } else {
            g.output(last, "last_hidden_state", Graph.FLOAT, "batch", "sequence", t.hidden());
            g.output(pooled, "pooler_output", Graph.FLOAT, "batch", t.hidden());
        }
        if (t.io() != ModelDims.TextIo.SD) {
            for (int i = 0; i < hidden.size(); i++) {
                g.output(hidden.get(i), "hidden_states." + i, Graph.FLOAT, "batch", "sequence", t.hidden());
            }
        }
        return g;
    }

    /**
     * Token embedding plus the first {@code sequence} position embeddings. Both start with std 0.02 (CLIP's
     * initializer_range), drawn uniformly from ±0.02·√3 so weights stay bit-reproducible without transcendental
     * math; the first LayerNorm rescales them anyway.
     */
    private static String embeddings(Scope e, String ids, String seqLen, ModelDims.Text t) {
        long[] positions = new long[ModelDims.Text.MAX_POSITIONS];
        for (int i = 0; i < positions.length; i++) positions[i] = i;
        String posIds = e.op("Slice", e.ints(positions), e.ints(0), seqLen, e.ints(0));
        Weights.Uniform std002 = new Weights.Uniform(0.02 * Math.sqrt(3.0));
        Scope tok = e.child("token_embedding");
        Scope pos = e.child("position_embedding");
        String tokens = tok.op("Gather", tok.param("weight", std002, t.vocabSize(), t.hidden()), ids);
        String places = pos.op("Gather", pos.param("weight", std002, ModelDims.Text.MAX_POSITIONS, t.hidden()), posIds);
        return e.op("Add", tokens, places);
    }

    /** [1, 1, S, S]: 0 on and below the diagonal, the lowest float above it. */
    private static String causalMask(Scope root, String seqLen) {
        int n = ModelDims.Text.MAX_POSITIONS;
        float[] mask = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) mask[i * n + j] = -Float.MAX_VALUE;
        }
        String full = root.floats(new long[] {1, 1, n, n}, mask);
        String ends = root.op("Concat", List.of(Attrs.i("axis", 0)), seqLen, seqLen);
        return root.op("Slice", full, root.ints(0, 0), ends, root.ints(2, 3));
    }

    private static String layer(Scope l, String h, String mask, ModelDims.Text t) {
        Attention attn = new Attention(t.hidden(), t.hidden(), t.heads(), true, Attention.CLIP);
        String n1 = Layers.layerNorm(l.child("layer_norm1"), h, t.hidden(), EPS);
        h = l.op("Add", h, attn.build(l.child("self_attn"), n1, n1, Optional.of(mask)));
        String n2 = Layers.layerNorm(l.child("layer_norm2"), h, t.hidden(), EPS);
        Scope mlp = l.child("mlp");
        String x = Layers.linear(mlp.child("fc1"), n2, t.hidden(), t.intermediate(), true);
        Scope act = mlp.child("activation_fn");
        x = t.gelu() ? Layers.gelu(act, x) : act.op("Mul", x, act.op("Sigmoid", act.op("Mul", x, act.scalar(1.702f))));
        x = Layers.linear(mlp.child("fc2"), x, t.intermediate(), t.hidden(), true);
        return l.op("Add", h, x);
    }

    /** last_hidden_state[b, first position of eos in ids[b]]. */
    private static String pooler(Scope root, String ids, int idType, String last, int eosId) {
        String eos = idType == Graph.INT64 ? root.scalarInt(eosId) : intScalar(root, eosId);
        String isEos = root.op("Cast", List.of(Attrs.i("to", Graph.INT32)), root.op("Equal", ids, eos));
        String first = root.op("ArgMax", List.of(Attrs.i("axis", -1), Attrs.i("keepdims", 0),
                Attrs.i("select_last_index", 0)), isEos);
        String shape = root.op("Shape", last);
        String batch = root.op("Gather", List.of(Attrs.i("axis", 0)), shape, root.scalarInt(0));
        String seq = root.op("Gather", List.of(Attrs.i("axis", 0)), shape, root.scalarInt(1));
        String rows = root.op("Range", root.scalarInt(0), batch, root.scalarInt(1));
        String index = root.op("Add", first, root.op("Mul", rows, seq));
        String flat = root.op("Flatten", List.of(Attrs.i("axis", 2)), last);
        return root.op("Gather", List.of(Attrs.i("axis", 0)), flat, index);
    }

    private static String intScalar(Scope s, int value) {
        return s.op("Cast", List.of(Attrs.i("to", Graph.INT32)), s.scalarInt(value));
    }
}
