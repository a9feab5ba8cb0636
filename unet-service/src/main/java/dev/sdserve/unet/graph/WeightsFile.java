package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Moves a model's embedded weights into one external-data file, so the full and the shallow graph share a
 * single copy of them on disk. Weights that already live in an external file are left where they are.
 */
public final class WeightsFile {
    /** Tensors smaller than this stay embedded (shapes, scalars): not worth a file read each. */
    static final int MIN_EXTERNAL_BYTES = 1024;
    /** ORT can map external data in place when offsets are aligned; 64 bytes suits every element type. */
    private static final int ALIGN = 64;

    private WeightsFile() {
    }

    /** True when at least one initializer of the model keeps its data in an external file. */
    public static boolean usesExternalData(ModelProto model) {
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) return true;
        }
        return false;
    }

    /**
     * Writes the embedded raw data of large initializers to {@code file} and returns the model with those
     * initializers pointing at it by its file name (relative to the folder the model is loaded against).
     */
    public static ModelProto externalize(ModelProto model, Path file) throws IOException {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String location = file.getFileName().toString();
        long offset = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                TensorProto t = g.getInitializer(i);
                if (!t.hasRawData() || t.getRawData().size() < MIN_EXTERNAL_BYTES) continue;
                long pad = (ALIGN - offset % ALIGN) % ALIGN;
                out.write(new byte[(int) pad]);
                offset += pad;
                long length = t.getRawData().size();
                t.getRawData().writeTo(out);
                g.setInitializer(i, t.toBuilder().clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(offset)))
                        .addExternalData(entry("length", Long.toString(length))));
                offset += length;
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
