package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.sdserve.runtime.SdException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Derives DeepCache's two graphs from a UNet graph, sharing every weight with it.
 * <ul>
 *   <li><b>full</b>: the original graph with the cache tensor (or the tensors of every branch) as extra outputs;</li>
 *   <li><b>shallow</b>: the cache tensor as a new input, holding only the nodes the original outputs need once the
 *   cache tensor is given (the backward slice), only their initializers and only the original inputs they read
 *   (as onnx.utils.Extractor gives it).</li>
 * </ul>
 * Initializers are copied as they are, so external-data references keep pointing at the source's weights file.
 */
public final class GraphSurgery {
    private GraphSurgery() {
    }

    /** The original graph plus {@code cacheTensor} as an extra graph output. */
    public static ModelProto full(ModelProto source, GraphIndex index, String cacheTensor) {
        return full(source, index, java.util.List.of(cacheTensor));
    }

    /**
     * The original graph plus every one of {@code cacheTensors} as an extra output (after the original ones), so one
     * session serves every cache branch: a run asks only for the outputs it needs, and ONNX Runtime computes the
     * same nodes either way.
     */
    public static ModelProto full(ModelProto source, GraphIndex index, java.util.Collection<String> cacheTensors) {
        GraphProto.Builder g = source.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String t : cacheTensors) {
            if (outputs.add(t)) g.addOutput(typedValue(index, t));
        }
        return source.toBuilder().setGraph(g).build();
    }

    /** The backward slice of the original outputs, with {@code cacheTensor} as a graph input. */
    public static ModelProto shallow(ModelProto source, GraphIndex index, String cacheTensor) {
        GraphProto src = source.getGraph();
        Set<Integer> nodes = new HashSet<>();
        Set<String> usedInitializers = new HashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        src.getOutputList().forEach(o -> todo.push(o.getName()));
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (!seen.add(t) || t.equals(cacheTensor) || index.isGraphInput(t) && !index.isInitializer(t)) continue;
            if (index.isInitializer(t)) {
                usedInitializers.add(t);
                continue;
            }
            int p = index.producerOf(t);
            if (p < 0) throw SdException.internal("tensor '" + t + "' has no producer in the UNet graph", null);
            if (nodes.add(p)) GraphIndex.inputsOf(index.node(p)).forEach(todo::push);
        }
        GraphProto.Builder g = src.toBuilder().clearNode().clearInitializer().clearInput().clearValueInfo();
        Set<String> produced = new HashSet<>();
        for (int i = 0; i < src.getNodeCount(); i++) {
            if (!nodes.contains(i)) continue;
            NodeProto n = src.getNode(i);
            g.addNode(n);
            produced.addAll(n.getOutputList());
        }
        for (TensorProto t : src.getInitializerList()) if (usedInitializers.contains(t.getName())) g.addInitializer(t);
        for (ValueInfoProto v : src.getInputList()) {
            // only the inputs the slice reads: SDXL's branches 0-2 never reach encoder_hidden_states
            boolean used = index.isInitializer(v.getName()) ? usedInitializers.contains(v.getName()) : seen.contains(v.getName());
            if (used) g.addInput(v);
        }
        g.addInput(typedValue(index, cacheTensor));
        for (ValueInfoProto v : src.getValueInfoList()) if (produced.contains(v.getName())) g.addValueInfo(v);
        return source.toBuilder().setGraph(g).build();
    }

    /**
     * A value info for {@code tensor}: the exporter's own when the graph has one, else its element type with an
     * unknown shape (ONNX Runtime infers the shape, and the cached feature's batch and size vary anyway).
     */
    static ValueInfoProto typedValue(GraphIndex index, String tensor) {
        for (ValueInfoProto v : index.graph().getValueInfoList()) {
            if (v.getName().equals(tensor) && v.getType().hasTensorType()) return v;
        }
        TypeProto.Tensor type = TypeProto.Tensor.newBuilder().setElemType(elemType(index, tensor)).build();
        return ValueInfoProto.newBuilder().setName(tensor)
                .setType(TypeProto.newBuilder().setTensorType(type)).build();
    }

    /**
     * The element type of an activation, found by walking back along first inputs until a node fixes it
     * (Cast, Constant, a graph input or an initializer). Arithmetic, normalisation, convolution and Concat keep
     * the type of their first input, which is all a UNet's feature path holds.
     */
    static int elemType(GraphIndex index, String tensor) {
        String t = tensor;
        for (int hops = 0; hops < 1_000_000; hops++) {
            for (ValueInfoProto v : index.graph().getInputList()) {
                if (v.getName().equals(t)) return v.getType().getTensorType().getElemType();
            }
            for (TensorProto init : index.graph().getInitializerList()) {
                if (init.getName().equals(t)) return init.getDataType();
            }
            int p = index.producerOf(t);
            if (p < 0) break;
            NodeProto n = index.node(p);
            switch (n.getOpType()) {
                case "Cast" -> {
                    return (int) GraphIndex.intAttribute(n, "to", TensorProto.DataType.FLOAT_VALUE);
                }
                case "Constant" -> {
                    return n.getAttributeList().stream().filter(a -> a.hasT()).findFirst()
                            .map(a -> a.getT().getDataType()).orElse(TensorProto.DataType.FLOAT_VALUE);
                }
                case "Shape", "Size", "NonZero", "ArgMax", "ArgMin" -> {
                    return TensorProto.DataType.INT64_VALUE;
                }
                default -> t = n.getInputCount() > 0 ? n.getInput(0) : "";
            }
        }
        throw SdException.internal("cannot tell the element type of '" + tensor + "'", null);
    }
}
