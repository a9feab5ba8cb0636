package dev.sdserve.forge;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One module of the model being built, e.g. {@code /down_blocks.0/resnets.0/norm1}: ops added here are named
 * under its path and its parameters under the dotted form of the path ({@code down_blocks.0.resnets.0.norm1.weight}).
 */
final class Scope {
    private final Graph graph;
    private final String path;

    Scope(Graph graph, String path) {
        this.graph = graph;
        this.path = path;
    }

    Scope child(String name) {
        return new Scope(graph, path + "/" + name);
    }

    String path() {
        return path;
    }

    Weights weights() {
        return graph.weights();
    }

    /** An op with no attributes. */
    String op(String op, String... inputs) {
        return graph.node(path, op, List.of(inputs), List.of());
    }

    /** An op with attributes. */
    String op(String op, List<AttributeProto> attrs, String... inputs) {
        return graph.node(path, op, List.of(inputs), attrs);
    }

    /** A module parameter in PyTorch layout, e.g. {@code param("weight", ...)}. */
    String param(String leaf, Weights.Init init, long... dims) {
        return graph.weights().param(path.substring(1).replace('/', '.') + "." + leaf, init, dims);
    }

    /** A 1-D int64 Constant node. */
    String ints(long... values) {
        return constant(TensorProto.DataType.INT64_VALUE, new long[] {values.length}, longBytes(values));
    }

    /** A 0-d int64 Constant node. */
    String scalarInt(long value) {
        return constant(TensorProto.DataType.INT64_VALUE, new long[0], longBytes(new long[] {value}));
    }

    /** A 0-d float Constant node. */
    String scalar(float value) {
        return floats(new long[0], value);
    }

    /** A float Constant node of the given shape. */
    String floats(long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return constant(TensorProto.DataType.FLOAT_VALUE, dims, b.array());
    }

    /** A float Constant of the given shape with every element {@code value}. */
    String filled(float value, long... dims) {
        long n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] v = new float[(int) n];
        Arrays.fill(v, value);
        return floats(dims, v);
    }

    private String constant(int dataType, long[] dims, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(dataType).setRawData(ByteString.copyFrom(raw));
        for (long d : dims) t.addDims(d);
        return op("Constant", List.of(Attrs.tensor("value", t.build())));
    }

    private static byte[] longBytes(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return b.array();
    }
}
