package dev.sdserve.forge;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a {@link Graph} as {@code model.onnx} (opset 17, IR 8). When its weights exceed the threshold they are
 * streamed, one chunk at a time, into {@code model.onnx_data} beside it and referenced through ONNX external-data
 * entries (location, offset, length); the graph file then stays small and no more than one chunk of weights is
 * ever in memory. Smaller models embed their weights.
 */
final class OnnxWriter {
    static final String MODEL_FILE = "model.onnx";
    static final String DATA_FILE = "model.onnx_data";
    private static final int CHUNK_BYTES = 1 << 22;

    private OnnxWriter() {
    }

    /** Writes {@code graph} into {@code dir}; returns the bytes written (graph + external data). */
    static long write(Graph graph, Path dir, long seed, long externalThresholdBytes) throws IOException {
        Files.createDirectories(dir);
        GraphProto.Builder g = GraphProto.newBuilder().setName("main_graph")
                .addAllNode(graph.nodes()).addAllInput(graph.inputs()).addAllOutput(graph.outputs());
        long dataBytes = 0;
        if (graph.weights().bytes() > externalThresholdBytes) {
            dataBytes = writeExternal(graph, dir.resolve(DATA_FILE), seed, g);
        } else {
            for (Weights.Spec spec : graph.weights().specs()) g.addInitializer(embedded(graph.part(), spec, seed));
        }
        ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("sdserve-forge")
                .setProducerVersion("1").addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g).build();
        Path file = dir.resolve(MODEL_FILE);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            model.writeTo(out);
        }
        return Files.size(file) + dataBytes;
    }

    private static long writeExternal(Graph graph, Path data, long seed, GraphProto.Builder g) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (Weights.Spec spec : graph.weights().specs()) {
                long offset = ch.position();
                WeightStream stream = new WeightStream(seed, graph.part(), spec);
                while (stream.hasMore()) {
                    buf.clear();
                    stream.next(buf);
                    buf.flip();
                    while (buf.hasRemaining()) ch.write(buf);
                }
                g.addInitializer(header(spec).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", DATA_FILE))
                        .addExternalData(entry("offset", Long.toString(offset)))
                        .addExternalData(entry("length", Long.toString(spec.bytes()))));
            }
            return ch.position();
        }
    }

    private static TensorProto embedded(String part, Weights.Spec spec, long seed) {
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(spec.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        new WeightStream(seed, part, spec).next(buf);
        return header(spec).setRawData(UnsafeByteOperations.unsafeWrap(buf.array())).build();
    }

    private static TensorProto.Builder header(Weights.Spec spec) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(spec.name())
                .setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : spec.dims()) t.addDims(d);
        return t;
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
