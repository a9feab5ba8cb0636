package dev.sdserve.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.DType;
import dev.sdserve.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * The only place that converts tensors between protobuf, {@link FloatTensor} and ONNX Runtime. float16 is
 * converted at the boundary, so stage code always works in float32 whatever the model's dtype.
 */
public final class TensorCodec {
    private TensorCodec() {
    }

    // ---- protobuf <-> FloatTensor ----

    /** Decodes a FLOAT32 or FLOAT16 proto tensor; {@code field} names it in INVALID_ARGUMENT messages. */
    public static FloatTensor fromProto(Tensor t, String field) {
        SdException.require(t != null && t.getShapeCount() > 0, field + ": missing tensor");
        long[] shape = new long[t.getShapeCount()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.getShape(i);
            SdException.require(shape[i] >= 0, field + ": negative dimension in shape " + Arrays.toString(shape));
        }
        long n;
        try {
            n = FloatTensor.elementCount(shape);
        } catch (ArithmeticException e) {
            throw SdException.invalid(field + ": shape " + Arrays.toString(shape) + " is too large");
        }
        ByteBuffer bytes = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.getDtype()) {
            case FLOAT32 -> {
                SdException.require(bytes.remaining() == n * 4, field + ": shape " + Arrays.toString(shape)
                        + " needs " + n * 4 + " bytes of float32, got " + bytes.remaining());
                return FloatTensor.copyOf(shape, bytes.asFloatBuffer());
            }
            case FLOAT16 -> {
                SdException.require(bytes.remaining() == n * 2, field + ": shape " + Arrays.toString(shape)
                        + " needs " + n * 2 + " bytes of float16, got " + bytes.remaining());
                FloatBuffer out = FloatTensor.allocate(n);
                ShortBuffer s = bytes.asShortBuffer();
                for (int i = 0; i < n; i++) out.put(i, Fp16Conversions.fp16ToFloat(s.get(i)));
                return FloatTensor.adopt(shape, out);
            }
            default -> throw SdException.invalid(field + ": dtype " + t.getDtype()
                    + " is not supported here; send FLOAT32 or FLOAT16");
        }
    }

    /** Encodes as FLOAT32, little-endian. */
    public static Tensor toProto(FloatTensor t) {
        ByteBuffer b = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.buffer());
        Tensor.Builder out = Tensor.newBuilder().setDtype(DType.FLOAT32).setData(ByteString.copyFrom(b.array()));
        for (long d : t.shape()) out.addShape(d);
        return out.build();
    }

    /** Encodes int32 values (token ids, for example). */
    public static Tensor toProtoInt32(long[] shape, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        Tensor.Builder out = Tensor.newBuilder().setDtype(DType.INT32).setData(ByteString.copyFrom(b.array()));
        for (long d : shape) out.addShape(d);
        return out.build();
    }

    /** Encodes uint8 values (RGB pixels, for example). */
    public static Tensor toProtoUint8(long[] shape, byte[] values) {
        Tensor.Builder out = Tensor.newBuilder().setDtype(DType.UINT8).setData(ByteString.copyFrom(values));
        for (long d : shape) out.addShape(d);
        return out.build();
    }

    // ---- FloatTensor <-> ONNX Runtime ----

    /** The element type of a session input (FLOAT, FLOAT16, INT32, INT64, ...). */
    public static OnnxJavaType inputType(OrtSession session, String input) {
        return tensorInfo(session, input).type;
    }

    /** The declared shape of a session input (-1 for dynamic dimensions). */
    public static long[] inputShape(OrtSession session, String input) {
        return tensorInfo(session, input).getShape();
    }

    private static TensorInfo tensorInfo(OrtSession session, String input) {
        try {
            NodeInfo info = session.getInputInfo().get(input);
            if (info == null) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "model has no input '" + input
                        + "'; inputs are " + session.getInputNames());
            }
            return (TensorInfo) info.getInfo();
        } catch (OrtException e) {
            throw SdException.internal("reading input info of '" + input + "'", e);
        }
    }

    /** Creates an ORT tensor of the given float type (FLOAT shares the buffer; FLOAT16 converts). */
    public static OnnxTensor toOnnx(FloatTensor t, OnnxJavaType type) {
        try {
            return switch (type) {
                case FLOAT -> OnnxTensor.createTensor(OrtSessions.env(), t.direct(), t.shape());
                case FLOAT16 -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(t.size() * 2).order(ByteOrder.nativeOrder());
                    ShortBuffer s = b.asShortBuffer();
                    for (int i = 0; i < t.size(); i++) s.put(i, Fp16Conversions.floatToFp16(t.get(i)));
                    yield OnnxTensor.createTensor(OrtSessions.env(), b, t.shape(), OnnxJavaType.FLOAT16);
                }
                default -> throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                        "model input of type " + type + " cannot take float data");
            };
        } catch (OrtException e) {
            throw SdException.internal("creating ORT tensor " + t, e);
        }
    }

    /** Creates an ORT tensor for the named session input, in the input's declared float type. */
    public static OnnxTensor toOnnx(FloatTensor t, OrtSession session, String input) {
        return toOnnx(t, inputType(session, input));
    }

    /** An integer input (ids) in the declared type, INT32 or INT64. */
    public static OnnxTensor intsToOnnx(long[] shape, int[] values, OnnxJavaType type) {
        try {
            return switch (type) {
                case INT32 -> OnnxTensor.createTensor(OrtSessions.env(), IntBuffer.wrap(values), shape);
                case INT64 -> {
                    long[] l = new long[values.length];
                    for (int i = 0; i < l.length; i++) l[i] = values[i];
                    yield OnnxTensor.createTensor(OrtSessions.env(), LongBuffer.wrap(l), shape);
                }
                default -> throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                        "integer input declared as " + type + "; expected INT32 or INT64");
            };
        } catch (OrtException e) {
            throw SdException.internal("creating ORT int tensor", e);
        }
    }

    /** Copies an ORT float32/float16 output into a FloatTensor. */
    public static FloatTensor fromOnnx(OnnxValue value) {
        if (!(value instanceof OnnxTensor t)) {
            throw SdException.internal("expected a tensor output, got " + value.getType(), null);
        }
        TensorInfo info = t.getInfo();
        if (info.type != OnnxJavaType.FLOAT && info.type != OnnxJavaType.FLOAT16) {
            throw SdException.internal("expected a float output, got " + info.type, null);
        }
        return FloatTensor.adopt(info.getShape(), toDirect(t.getFloatBuffer()));
    }

    private static FloatBuffer toDirect(FloatBuffer heap) {
        FloatBuffer d = FloatTensor.allocate(heap.remaining());
        d.put(heap).rewind();
        return d;
    }
}
