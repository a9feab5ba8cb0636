package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sdserve.runtime.ExecutionProvider;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Counts the multiply-accumulates of Conv, MatMul and Gemm nodes, for one call at batch 1.
 *
 * <p>The shapes come from ONNX Runtime itself: a probe copy of the graph exposes every counted node's operands
 * and result, and runs on zeros. To stay cheap for full-size models the probe runs at three small latent sides
 * (8, 16, 24). For sides that are multiples of 8, every layer's cost is a polynomial of degree at most 2 in
 * h*w (convolutions and cross-attention are linear in the pixel count, self-attention quadratic), so three
 * probes determine the count exactly at any such size, the native one included.
 */
public final class MacCounter {
    static final int[] PROBE_SIDES = {8, 16, 24};
    private static final Set<String> COUNTED = Set.of("Conv", "MatMul", "Gemm");

    /** What the probe feeds: latent channels, text length and text width (for dims the graph leaves open). */
    public record ProbeShape(int latentChannels, int textLength, int textDim) {
    }

    /** MACs of the full and the shallow graph. */
    public record Macs(long full, long shallow) {
    }

    private MacCounter() {
    }

    /** MACs at a square latent of side {@code nativeSide}, for the full graph and the node subset {@code shallowNodes}. */
    public static Macs count(ModelProto full, Path weightsFolder, Set<String> shallowNodes, ProbeShape shape,
                             int nativeSide) {
        long[][] totals = measure(full, weightsFolder, shallowNodes, shape, PROBE_SIDES);
        long x = (long) nativeSide * nativeSide;
        return new Macs(fit(totals, 0, x), fit(totals, 1, x));
    }

    /** {full, shallow} MACs measured directly at each latent side, with one probe session. */
    static long[][] measure(ModelProto full, Path weightsFolder, Set<String> shallowNodes, ProbeShape shape,
                            int... sides) {
        ModelProto probe = exposeOperands(full);
        // no graph optimisation: the probe runs at tiny sizes, and fusing would only cost load time
        RuntimeOptions cpu = new RuntimeOptions(ExecutionProvider.CPU, 0, "disable");
        try (OrtSessions.Loaded loaded = OrtSessions.open(probe.toByteArray(), weightsFolder, Path.of("mac-probe"), cpu, o -> { })) {
            long[][] out = new long[sides.length][];
            for (int i = 0; i < sides.length; i++) out[i] = measure(loaded.session(), full, shallowNodes, shape, sides[i]);
            return out;
        }
    }

    private static long[] measure(OrtSession probe, ModelProto full, Set<String> shallowNodes, ProbeShape shape,
                                  int side) {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            inputs.putAll(zeros(probe, shape, side));
            try (OrtSession.Result r = probe.run(inputs)) {
                Map<String, long[]> shapes = new HashMap<>();
                for (TensorProto t : full.getGraph().getInitializerList()) shapes.put(t.getName(), dims(t));
                inputs.forEach((name, t) -> shapes.put(name, t.getInfo().getShape()));
                for (Map.Entry<String, OnnxValue> e : r) shapes.put(e.getKey(), ((TensorInfo) e.getValue().getInfo()).getShape());
                long all = 0;
                long shallow = 0;
                for (NodeProto n : full.getGraph().getNodeList()) {
                    if (!COUNTED.contains(n.getOpType())) continue;
                    long macs = macs(n, shapes);
                    all += macs;
                    if (shallowNodes.contains(GraphIndex.keyOf(n))) shallow += macs;
                }
                return new long[] {all, shallow};
            }
        } catch (OrtException e) {
            throw SdException.internal("MAC probe failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** MACs of one Conv, MatMul or Gemm from its operand and result shapes. */
    static long macs(NodeProto n, Map<String, long[]> shapes) {
        long[] out = require(shapes, n.getOutput(0));
        long[] a = require(shapes, n.getInput(0));
        long k = switch (n.getOpType()) {
            case "Conv" -> {
                long[] w = require(shapes, n.getInput(1));
                long perOutput = 1;
                for (int i = 1; i < w.length; i++) perOutput *= w[i];
                yield perOutput;
            }
            case "Gemm" -> GraphIndex.intAttribute(n, "transA", 0) != 0 ? a[0] : a[a.length - 1];
            default -> a[a.length - 1];
        };
        return product(out) * k;
    }

    private static ModelProto exposeOperands(ModelProto full) {
        GraphProto.Builder g = full.getGraph().toBuilder();
        GraphIndex index = new GraphIndex(full.getGraph());
        Set<String> exposed = new HashSet<>();
        for (ValueInfoProto v : g.getOutputList()) exposed.add(v.getName());
        for (NodeProto n : full.getGraph().getNodeList()) {
            if (!COUNTED.contains(n.getOpType())) continue;
            for (String t : new String[] {n.getOutput(0), n.getInput(0), n.getInput(1)}) {
                if (index.isInitializer(t) || index.isGraphInput(t) || !exposed.add(t)) continue;
                g.addOutput(GraphSurgery.typedValue(index, t));
            }
        }
        return full.toBuilder().setGraph(g).build();
    }

    private static Map<String, OnnxTensor> zeros(OrtSession session, ProbeShape shape, int side) throws OrtException {
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
            TensorInfo info = (TensorInfo) e.getValue().getInfo();
            long[] dims = info.getShape();
            long[] wanted = switch (dims.length) {
                case 4 -> new long[] {1, shape.latentChannels(), side, side};
                case 3 -> new long[] {1, shape.textLength(), shape.textDim()};
                default -> new long[dims.length];
            };
            for (int i = 0; i < dims.length; i++) {
                dims[i] = dims[i] > 0 ? dims[i] : Math.max(1, wanted[i]);
            }
            int bytes = (int) (product(dims) * Math.max(1, info.type.size));
            ByteBuffer zero = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            out.put(e.getKey(), OnnxTensor.createTensor(OrtSessions.env(), zero, dims, info.type));
        }
        return out;
    }

    /** Lagrange interpolation through the probes (x = side^2), exact in integers. */
    static long fit(long[][] totals, int column, long x) {
        BigInteger num = BigInteger.ZERO;
        BigInteger den = BigInteger.ONE;
        for (int i = 0; i < PROBE_SIDES.length; i++) {
            BigInteger ni = BigInteger.valueOf(totals[i][column]);
            BigInteger di = BigInteger.ONE;
            long xi = (long) PROBE_SIDES[i] * PROBE_SIDES[i];
            for (int j = 0; j < PROBE_SIDES.length; j++) {
                if (j == i) continue;
                long xj = (long) PROBE_SIDES[j] * PROBE_SIDES[j];
                ni = ni.multiply(BigInteger.valueOf(x - xj));
                di = di.multiply(BigInteger.valueOf(xi - xj));
            }
            num = num.multiply(di).add(ni.multiply(den));
            den = den.multiply(di);
        }
        return num.divide(den).longValueExact();
    }

    private static long[] require(Map<String, long[]> shapes, String tensor) {
        long[] s = shapes.get(tensor);
        if (s == null) throw SdException.internal("MAC probe: no shape for '" + tensor + "'", null);
        return s;
    }

    private static long[] dims(TensorProto t) {
        long[] d = new long[t.getDimsCount()];
        for (int i = 0; i < d.length; i++) d[i] = t.getDims(i);
        return d;
    }

    private static long product(long[] dims) {
        long p = 1;
        for (long d : dims) p *= d;
        return p;
    }
}
