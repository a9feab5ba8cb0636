package dev.sdserve.textencoder;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: rewrites a text encoder whose {@code input_ids} is int32 into the int64 variant other exports
 * have (the graph input becomes int64 and a Cast feeds the old consumers), or an int64 one into int32. It edits the ONNX protobuf at the
 * wire level (field numbers from onnx.proto), so it needs no ONNX schema classes.
 */
final class Int64IdsGraph {
    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INPUT = 11;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTR_NAME = 1;
    private static final int ATTR_I = 3;
    private static final int ATTR_TYPE = 20;
    private static final int ATTR_TYPE_INT = 2;
    private static final int VALUE_NAME = 1;
    private static final int VALUE_TYPE = 2;
    private static final int TYPE_TENSOR = 1;
    private static final int TENSOR_ELEM_TYPE = 1;
    private static final int INT32 = 6;
    private static final int INT64 = 7;

    private Int64IdsGraph() {
    }

    /** Writes the int64-input copy of {@code src} (int32 ids) to {@code dst}. */
    static void rewrite(Path src, Path dst, String input) throws IOException {
        retype(src, dst, input, INT32, INT64);
    }

    /** Writes the int32-input copy of {@code src} (int64 ids, as SDXL's optimum exports have) to {@code dst}. */
    static void toInt32(Path src, Path dst, String input) throws IOException {
        retype(src, dst, input, INT64, INT32);
    }

    private static void retype(Path src, Path dst, String input, int original, int declared) throws IOException {
        UnknownFieldSet model = UnknownFieldSet.parseFrom(Files.readAllBytes(src));
        UnknownFieldSet graph = UnknownFieldSet.parseFrom(single(model, MODEL_GRAPH));
        String cast = input + "_original_type";

        List<ByteString> nodes = new ArrayList<>();
        nodes.add(castNode(input, cast, original));
        for (ByteString node : graph.getField(GRAPH_NODE).getLengthDelimitedList()) {
            nodes.add(renameInputs(UnknownFieldSet.parseFrom(node), input, cast).toByteString());
        }
        List<ByteString> inputs = new ArrayList<>();
        for (ByteString vi : graph.getField(GRAPH_INPUT).getLengthDelimitedList()) {
            UnknownFieldSet v = UnknownFieldSet.parseFrom(vi);
            inputs.add(input.equals(single(v, VALUE_NAME).toStringUtf8()) ? withElemType(v, declared).toByteString() : vi);
        }
        UnknownFieldSet newGraph = replace(replace(graph, GRAPH_NODE, nodes), GRAPH_INPUT, inputs);
        Files.write(dst, replace(model, MODEL_GRAPH, List.of(newGraph.toByteString())).toByteArray());
    }

    private static ByteString castNode(String from, String to, int toType) {
        UnknownFieldSet attr = UnknownFieldSet.newBuilder()
                .addField(ATTR_NAME, bytes(ByteString.copyFromUtf8("to")))
                .addField(ATTR_I, UnknownFieldSet.Field.newBuilder().addVarint(toType).build())
                .addField(ATTR_TYPE, UnknownFieldSet.Field.newBuilder().addVarint(ATTR_TYPE_INT).build())
                .build();
        return UnknownFieldSet.newBuilder()
                .addField(NODE_INPUT, bytes(ByteString.copyFromUtf8(from)))
                .addField(NODE_OUTPUT, bytes(ByteString.copyFromUtf8(to)))
                .addField(NODE_NAME, bytes(ByteString.copyFromUtf8("test_ids_to_original_type")))
                .addField(NODE_OP_TYPE, bytes(ByteString.copyFromUtf8("Cast")))
                .addField(NODE_ATTRIBUTE, bytes(attr.toByteString()))
                .build().toByteString();
    }

    private static UnknownFieldSet renameInputs(UnknownFieldSet node, String from, String to) {
        List<ByteString> inputs = new ArrayList<>();
        for (ByteString in : node.getField(NODE_INPUT).getLengthDelimitedList()) {
            inputs.add(from.equals(in.toStringUtf8()) ? ByteString.copyFromUtf8(to) : in);
        }
        return replace(node, NODE_INPUT, inputs);
    }

    private static UnknownFieldSet withElemType(UnknownFieldSet valueInfo, int elemType) throws IOException {
        UnknownFieldSet type = UnknownFieldSet.parseFrom(single(valueInfo, VALUE_TYPE));
        UnknownFieldSet tensor = UnknownFieldSet.parseFrom(single(type, TYPE_TENSOR));
        UnknownFieldSet tensor64 = UnknownFieldSet.newBuilder(tensor).clearField(TENSOR_ELEM_TYPE)
                .addField(TENSOR_ELEM_TYPE, UnknownFieldSet.Field.newBuilder().addVarint(elemType).build()).build();
        UnknownFieldSet type64 = replace(type, TYPE_TENSOR, List.of(tensor64.toByteString()));
        return replace(valueInfo, VALUE_TYPE, List.of(type64.toByteString()));
    }

    private static ByteString single(UnknownFieldSet set, int field) {
        List<ByteString> list = set.getField(field).getLengthDelimitedList();
        if (list.size() != 1) throw new IllegalStateException("expected one field " + field + ", got " + list.size());
        return list.get(0);
    }

    private static UnknownFieldSet replace(UnknownFieldSet set, int field, List<ByteString> values) {
        UnknownFieldSet.Field.Builder f = UnknownFieldSet.Field.newBuilder();
        values.forEach(f::addLengthDelimited);
        return UnknownFieldSet.newBuilder(set).clearField(field).addField(field, f.build()).build();
    }

    private static UnknownFieldSet.Field bytes(ByteString value) {
        return UnknownFieldSet.Field.newBuilder().addLengthDelimited(value).build();
    }
}
