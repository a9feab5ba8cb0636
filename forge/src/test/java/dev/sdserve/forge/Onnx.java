package dev.sdserve.forge;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.TensorCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Test access to ONNX files: ORT runs, I/O signatures, and the parsed graph for name checks. */
final class Onnx {
    private Onnx() {
    }

    /** Runs {@code model} on float/int inputs and returns every output as a FloatTensor (int outputs excluded). */
    static Map<String, FloatTensor> run(Path model, Map<String, OnnxTensor> inputs) throws OrtException {
        try (OrtSessions.Loaded loaded = OrtSessions.open(model, RuntimeOptions.defaults())) {
            return run(loaded.session(), inputs);
        }
    }

    /** Runs an open session; closes the inputs. */
    static Map<String, FloatTensor> run(OrtSession session, Map<String, OnnxTensor> inputs) throws OrtException {
        try (OrtSession.Result result = session.run(inputs)) {
            Map<String, FloatTensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, OnnxValue> e : result) out.put(e.getKey(), TensorCodec.fromOnnx(e.getValue()));
            return out;
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    static OnnxTensor floats(FloatTensor t) {
        return TensorCodec.toOnnx(t, ai.onnxruntime.OnnxJavaType.FLOAT);
    }

    static OnnxTensor ints(long[] shape, int[] values) {
        return TensorCodec.intsToOnnx(shape, values, ai.onnxruntime.OnnxJavaType.INT32);
    }

    /** "in name:TYPE:rank" and "out name:TYPE:rank" lines of a model, as ORT reports them. */
    static List<String> signature(Path model) throws OrtException {
        RuntimeOptions noOpt = new RuntimeOptions(RuntimeOptions.defaults().executionProvider(), 0, "disable");
        try (OrtSessions.Loaded loaded = OrtSessions.open(model, noOpt)) {
            List<String> sig = new ArrayList<>();
            describe("in", loaded.session().getInputInfo(), sig);
            describe("out", loaded.session().getOutputInfo(), sig);
            return sig;
        }
    }

    private static void describe(String kind, Map<String, NodeInfo> infos, List<String> sig) {
        infos.forEach((name, info) -> {
            TensorInfo t = (TensorInfo) info.getInfo();
            sig.add(kind + " " + name + ":" + t.type + ":" + t.getShape().length);
        });
    }

    static GraphProto graph(Path model) throws IOException {
        try (InputStream in = Files.newInputStream(model)) {
            return ModelProto.parseFrom(in).getGraph();
        }
    }

    /** The module prefixes of node names: {@code /up_blocks.3/attentions.1/Add} → {@code /up_blocks.3/attentions.1}. */
    static Set<String> modulePrefixes(GraphProto g) {
        Set<String> out = new TreeSet<>();
        for (NodeProto n : g.getNodeList()) {
            String name = n.getName();
            int slash = name.lastIndexOf('/');
            if (name.startsWith("/") && slash > 0) out.add(name.substring(0, slash));
        }
        return out;
    }

    /** Nodes that read {@code tensor}. */
    static List<NodeProto> consumers(GraphProto g, String tensor) {
        return g.getNodeList().stream().filter(n -> n.getInputList().contains(tensor)).toList();
    }

    static boolean nonConstant(FloatTensor t) {
        float[] v = t.toArray();
        for (float x : v) if (x != v[0]) return true;
        return false;
    }
}
