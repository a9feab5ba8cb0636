package dev.sdserve.forge;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph under construction. Nodes are named the way PyTorch's TorchScript exporter names them: the
 * module path, then the op type, with {@code _1}, {@code _2} for the second and third op of that type in the same
 * module ({@code /up_blocks.3/attentions.1/Add}), and each output is {@code <node name>_output_0}. Code that finds
 * tensors by name (the DeepCache cut finder) therefore sees the same names as in a real export.
 */
final class Graph {
    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;

    private final String part;
    private final List<NodeProto.Builder> nodes = new ArrayList<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();
    private final Map<String, Integer> opCounts = new HashMap<>();
    private final Weights weights = new Weights();

    Graph(String part) {
        this.part = part;
    }

    /** The part folder name (unet, text_encoder, ...); it also seeds the weights. */
    String part() {
        return part;
    }

    Weights weights() {
        return weights;
    }

    /** The root module; its ops are named {@code /Shape}, {@code /Gather}, ... */
    Scope root() {
        return new Scope(this, "");
    }

    /** Declares a graph input; dims are Integer (fixed) or String (symbolic). */
    String input(String name, int elemType, Object... dims) {
        inputs.add(valueInfo(name, elemType, dims));
        return name;
    }

    /** Declares {@code tensor} a graph output under {@code name}, renaming it everywhere. */
    void output(String tensor, String name, int elemType, Object... dims) {
        for (NodeProto.Builder n : nodes) {
            for (int i = 0; i < n.getOutputCount(); i++) {
                if (n.getOutput(i).equals(tensor)) n.setOutput(i, name);
            }
            for (int i = 0; i < n.getInputCount(); i++) {
                if (n.getInput(i).equals(tensor)) n.setInput(i, name);
            }
        }
        outputs.add(valueInfo(name, elemType, dims));
    }

    /** Adds a node in module {@code scopePath}; returns its only output's name. */
    String node(String scopePath, String op, List<String> in, List<AttributeProto> attrs) {
        String base = scopePath + "/" + op;
        int n = opCounts.merge(base, 1, Integer::sum) - 1;
        String name = n == 0 ? base : base + "_" + n;
        String out = name + "_output_0";
        nodes.add(NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(in).addOutput(out)
                .addAllAttribute(attrs));
        return out;
    }

    List<NodeProto> nodes() {
        return nodes.stream().map(NodeProto.Builder::build).toList();
    }

    List<ValueInfoProto> inputs() {
        return inputs;
    }

    List<ValueInfoProto> outputs() {
        return outputs;
    }

    private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Integer i) dim.setDimValue(i);
            else dim.setDimParam((String) d);
            shape.addDim(dim);
        }
        TypeProto type = TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }
}
