package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read-only index of an ONNX graph: the node that produces each tensor, the nodes that consume it, and the
 * names of graph inputs and initializers. Graph surgery and the cut finder both walk the graph through it.
 */
public final class GraphIndex {
    private final GraphProto graph;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Set<String> initializers = new HashSet<>();
    private final Set<String> inputs = new LinkedHashSet<>();

    public GraphIndex(GraphProto graph) {
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) initializers.add(t.getName());
        for (ValueInfoProto v : graph.getInputList()) inputs.add(v.getName());
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = graph.getNode(i);
            for (String out : n.getOutputList()) if (!out.isEmpty()) producer.put(out, i);
            for (String in : inputsOf(n)) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
        }
    }

    public GraphProto graph() {
        return graph;
    }

    public NodeProto node(int index) {
        return graph.getNode(index);
    }

    /** The index of the node producing {@code tensor}, or -1 for graph inputs, initializers and unknown names. */
    public int producerOf(String tensor) {
        return producer.getOrDefault(tensor, -1);
    }

    public List<Integer> consumersOf(String tensor) {
        return consumers.getOrDefault(tensor, List.of());
    }

    public boolean isInitializer(String tensor) {
        return initializers.contains(tensor);
    }

    public boolean isGraphInput(String tensor) {
        return inputs.contains(tensor);
    }

    /** True when some node outputs {@code tensor}. */
    public boolean isProduced(String tensor) {
        return producer.containsKey(tensor);
    }

    /**
     * Every tensor a node reads: its inputs plus the outer-scope names its subgraphs (If/Loop/Scan bodies)
     * use, so that a backward slice never drops a producer a subgraph needs.
     */
    public static Set<String> inputsOf(NodeProto n) {
        Set<String> out = new LinkedHashSet<>();
        for (String in : n.getInputList()) if (!in.isEmpty()) out.add(in);
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) out.addAll(outerNames(a.getG()));
            for (GraphProto g : a.getGraphsList()) out.addAll(outerNames(g));
        }
        return out;
    }

    private static Set<String> outerNames(GraphProto g) {
        Set<String> local = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) local.add(v.getName());
        for (TensorProto t : g.getInitializerList()) local.add(t.getName());
        for (NodeProto n : g.getNodeList()) local.addAll(n.getOutputList());
        Set<String> used = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : inputsOf(n)) if (!local.contains(in)) used.add(in);
        }
        return used;
    }

    /** A stable key for a node: its name, or its first output when the exporter left it unnamed. */
    public static String keyOf(NodeProto n) {
        return n.getName().isEmpty() ? "output:" + n.getOutput(0) : n.getName();
    }

    /** The integer attribute {@code name}, or {@code fallback}. */
    public static long intAttribute(NodeProto n, String name, long fallback) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a.getI();
        return fallback;
    }
}
