package dev.sdserve.vae;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.ByteString;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * diffusers' {@code force_upcast} for ONNX exports: a float16 VAE graph rewritten to compute in float32 (the SDXL
 * VAE overflows in float16). Every float16 initializer (embedded or external), constant, Cast target and declared
 * input, output and value type becomes float32; the graph's structure is unchanged. Converting float16 values to
 * float32 is exact, so the result equals the float16 graph's weights run in float32.
 */
final class Float32Upcast {
    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;

    private Float32Upcast() {
    }

    /** Parses {@code onnx} (external weights stay references). */
    static ModelProto parse(Path onnx) {
        try (InputStream in = Files.newInputStream(onnx)) {
            return ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot parse ONNX model " + onnx + ": "
                    + e.getMessage(), e);
        }
    }

    /** True when the graph declares a float16 input or holds a float16 initializer. */
    static boolean isFloat16(ModelProto m) {
        for (ValueInfoProto v : m.getGraph().getInputList()) if (elemType(v) == FLOAT16) return true;
        for (TensorProto t : m.getGraph().getInitializerList()) if (t.getDataType() == FLOAT16) return true;
        return false;
    }

    /** The float32 graph; external float16 weights are read from {@code modelDir} and embedded as float32. */
    static ModelProto upcast(ModelProto m, Path modelDir) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getDataType() == FLOAT16) g.setInitializer(i, toFloat(g.getInitializer(i), modelDir));
        }
        for (ValueInfoProto.Builder v : g.getInputBuilderList()) upcast(v);
        for (ValueInfoProto.Builder v : g.getOutputBuilderList()) upcast(v);
        for (ValueInfoProto.Builder v : g.getValueInfoBuilderList()) upcast(v);
        for (NodeProto.Builder n : g.getNodeBuilderList()) {
            for (AttributeProto.Builder a : n.getAttributeBuilderList()) {
                if (n.getOpType().equals("Cast") && a.getName().equals("to") && a.getI() == FLOAT16) a.setI(FLOAT);
                if (a.hasT() && a.getT().getDataType() == FLOAT16) a.setT(toFloat(a.getT(), modelDir));
                for (int i = 0; i < a.getTensorsCount(); i++) {
                    if (a.getTensors(i).getDataType() == FLOAT16) a.setTensors(i, toFloat(a.getTensors(i), modelDir));
                }
            }
        }
        return m.toBuilder().setGraph(g).build();
    }

    private static int elemType(ValueInfoProto v) {
        return v.getType().hasTensorType() ? v.getType().getTensorType().getElemType() : 0;
    }

    private static void upcast(ValueInfoProto.Builder v) {
        if (v.getType().hasTensorType() && v.getType().getTensorType().getElemType() == FLOAT16) {
            v.getTypeBuilder().getTensorTypeBuilder().setElemType(FLOAT);
        }
    }

    /** A float16 tensor as float32 raw data. */
    static TensorProto toFloat(TensorProto t, Path modelDir) {
        short[] halves = halves(t, modelDir);
        ByteBuffer out = ByteBuffer.allocate(halves.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) out.putFloat(Fp16Conversions.fp16ToFloat(h));
        return t.toBuilder().setDataType(FLOAT).clearInt32Data().clearRawData().clearExternalData()
                .setDataLocation(TensorProto.DataLocation.DEFAULT).setRawData(ByteString.copyFrom(out.array())).build();
    }

    private static short[] halves(TensorProto t, Path modelDir) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            return halves(external(t, modelDir));
        }
        if (!t.getRawData().isEmpty()) return halves(t.getRawData().toByteArray());
        short[] out = new short[t.getInt32DataCount()]; // float16 bits stored in int32_data
        for (int i = 0; i < out.length; i++) out[i] = (short) t.getInt32Data(i);
        return out;
    }

    private static short[] halves(byte[] raw) {
        short[] out = new short[raw.length / 2];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    private static byte[] external(TensorProto t, Path modelDir) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = Long.parseLong(e.getValue());
                case "length" -> length = Long.parseLong(e.getValue());
                default -> { }
            }
        }
        Path file = location == null ? null : modelDir.resolve(location).normalize();
        if (file == null || !file.startsWith(modelDir.normalize())) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "initializer " + t.getName()
                    + " names external data outside the model folder: " + location);
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long n = length >= 0 ? length : f.length() - offset;
            byte[] raw = new byte[Math.toIntExact(n)];
            f.seek(offset);
            f.readFully(raw);
            return raw;
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot read external data of " + t.getName()
                    + " from " + file + ": " + e.getMessage(), e);
        }
    }
}
