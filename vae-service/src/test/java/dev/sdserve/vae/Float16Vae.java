package dev.sdserve.vae;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: a float16 export of a float32 VAE decoder, shaped like exports that store float16 weights and
 * take and give float16 tensors: every float initializer stored as float16 (and cast up where it is used), the
 * input declared float16 and the output cast to float16.
 */
final class Float16Vae {
    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;

    private Float16Vae() {
    }

    /** Writes {@code dst/vae_decoder/} (and model_index.json) from {@code src}'s, with force_upcast set as given in its config. */
    static Path write(Path src, Path dst, boolean forceUpcast) throws IOException {
        Path dir = Files.createDirectories(dst.resolve("vae_decoder"));
        Files.copy(src.resolve("model_index.json"), dst.resolve("model_index.json"));
        String config = Files.readString(src.resolve("vae_decoder/config.json"))
                .replace("\"force_upcast\": true", "\"force_upcast\": " + forceUpcast);
        Files.writeString(dir.resolve("config.json"), config);
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(src.resolve("vae_decoder/model.onnx")));
        Files.write(dir.resolve("model.onnx"), toFloat16(m).toByteArray());
        return dst;
    }

    static ModelProto toFloat16(ModelProto m) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        List<NodeProto> casts = new ArrayList<>();
        List<TensorProto> inits = new ArrayList<>();
        for (TensorProto t : g.getInitializerList()) {
            if (t.getDataType() != FLOAT) {
                inits.add(t);
                continue;
            }
            inits.add(half(t, t.getName() + "_fp16"));
            casts.add(cast(t.getName() + "_fp16", t.getName(), FLOAT));
        }
        g.clearInitializer().addAllInitializer(inits);
        // the input: declared float16, cast up for its consumers
        ValueInfoProto.Builder in = g.getInputBuilder(0);
        String input = in.getName();
        rename(g, input, input + "_f32");
        in.getTypeBuilder().getTensorTypeBuilder().setElemType(FLOAT16);
        casts.add(cast(input, input + "_f32", FLOAT));
        // the output: computed in float32, cast down
        ValueInfoProto.Builder out = g.getOutputBuilder(0);
        String output = out.getName();
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getOutputCount(); i++) if (n.getOutput(i).equals(output)) n.setOutput(i, output + "_f32");
        }
        out.getTypeBuilder().getTensorTypeBuilder().setElemType(FLOAT16);
        g.addNode(cast(output + "_f32", output, FLOAT16));
        for (int i = casts.size() - 1; i >= 0; i--) g.addNode(0, casts.get(i));
        return m.toBuilder().setGraph(g).build();
    }

    private static TensorProto half(TensorProto t, String name) {
        FloatBuffer f;
        if (!t.getRawData().isEmpty()) {
            f = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        } else {
            float[] v = new float[t.getFloatDataCount()];
            for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
            f = FloatBuffer.wrap(v);
        }
        ByteBuffer out = ByteBuffer.allocate(f.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (f.hasRemaining()) out.putShort(Fp16Conversions.floatToFp16(f.get()));
        return t.toBuilder().setName(name).setDataType(FLOAT16).clearFloatData().setRawData(ByteString.copyFrom(out.array()))
                .build();
    }

    private static NodeProto cast(String from, String to, int type) {
        return NodeProto.newBuilder().setName("/fp16/" + to).setOpType("Cast").addInput(from).addOutput(to)
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(type))
                .build();
    }

    private static void rename(GraphProto.Builder g, String from, String to) {
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getInputCount(); i++) if (n.getInput(i).equals(from)) n.setInput(i, to);
        }
    }
}
