package dev.sdserve.unet;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.unet.graph.WeightsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** Writes variants of tiny-sd15's UNet the way other exporters shape them (timestep types, fp16 I/O, external data). */
final class ModelVariants {
    private ModelVariants() {
    }

    static ModelProto source() throws IOException {
        return ModelProto.parseFrom(Files.readAllBytes(SharedFixtures.tinyModel().resolve("unet/model.onnx")));
    }

    /** Writes {@code root/name/unet/model.onnx} (+ config.json), weights in model.onnx_data when {@code external}. */
    static Path write(Path root, String name, UnaryOperator<ModelProto> change, boolean external) throws IOException {
        Path unet = Files.createDirectories(root.resolve(name).resolve("unet"));
        Files.copy(SharedFixtures.tinyModel().resolve("unet/config.json"), unet.resolve("config.json"));
        ModelProto m = change.apply(source());
        if (external) m = WeightsFile.externalize(m, unet.resolve("model.onnx_data"));
        Files.write(unet.resolve("model.onnx"), m.toByteArray());
        return root.resolve(name);
    }

    /** Declares graph input {@code input} as {@code type} and casts it back to {@code castTo} for its consumers. */
    static ModelProto retypeInput(ModelProto m, String input, int type, int castTo) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        String cast = input + "_cast";
        renameUses(g, input, cast);
        for (ValueInfoProto.Builder v : g.getInputBuilderList()) {
            if (v.getName().equals(input)) v.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
        }
        g.addNode(0, NodeProto.newBuilder().setName("/variant/" + cast).setOpType("Cast").addInput(input).addOutput(cast)
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(castTo)));
        return m.toBuilder().setGraph(g).build();
    }

    /** Makes the timestep a rank-0 input, reshaped to [1] for the graph (which expands it to the batch). */
    static ModelProto scalarTimestep(ModelProto m) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        renameUses(g, "timestep", "timestep_1d");
        for (ValueInfoProto.Builder v : g.getInputBuilderList()) {
            if (v.getName().equals("timestep")) v.getTypeBuilder().getTensorTypeBuilder().setShape(TensorShapeProto.getDefaultInstance());
        }
        g.addInitializer(TensorProto.newBuilder().setName("timestep_shape").setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(1).addInt64Data(1));
        g.addNode(0, NodeProto.newBuilder().setName("/variant/timestep_reshape").setOpType("Reshape")
                .addInput("timestep").addInput("timestep_shape").addOutput("timestep_1d"));
        return m.toBuilder().setGraph(g).build();
    }

    /** Declares out_sample as float16, cast from the float32 result. */
    static ModelProto halfOutput(ModelProto m) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getOutputCount(); i++) if (n.getOutput(i).equals("out_sample")) n.setOutput(i, "out_sample_f32");
        }
        g.getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.FLOAT16_VALUE);
        g.addNode(NodeProto.newBuilder().setName("/variant/out_cast").setOpType("Cast").addInput("out_sample_f32")
                .addOutput("out_sample").addAttribute(AttributeProto.newBuilder().setName("to")
                        .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT16_VALUE)));
        return m.toBuilder().setGraph(g).build();
    }

    private static void renameUses(GraphProto.Builder g, String from, String to) {
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (int i = 0; i < n.getInputCount(); i++) if (n.getInput(i).equals(from)) n.setInput(i, to);
        }
    }
}
