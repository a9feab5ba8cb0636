package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.DType;
import dev.sdserve.proto.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorCodecTest {

    @Test
    void float32RoundTripsThroughProtoLittleEndian() {
        FloatTensor t = FloatTensor.of(new long[] {2, 3}, new float[] {1, -2.5f, 3e-7f, 0, Float.MAX_VALUE, -0f});
        Tensor p = TensorCodec.toProto(t);
        assertEquals(DType.FLOAT32, p.getDtype());
        assertEquals(24, p.getData().size());
        // independent check of the byte order: element 1 is -2.5f little-endian
        ByteBuffer b = p.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-2.5f, b.getFloat(4));
        FloatTensor back = TensorCodec.fromProto(p, "x");
        assertArrayEquals(t.toArray(), back.toArray());
        assertArrayEquals(new long[] {2, 3}, back.shape());
    }

    @Test
    void float16ProtoIsWidenedExactly() {
        // 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800 in binary16
        ByteBuffer b = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800);
        Tensor p = Tensor.newBuilder().addShape(3).setDtype(DType.FLOAT16).setData(ByteString.copyFrom(b.array())).build();
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, TensorCodec.fromProto(p, "x").toArray());
    }

    @Test
    void wrongByteCountIsInvalidArgumentNamingTheField() {
        Tensor p = Tensor.newBuilder().addShape(2).addShape(2).setDtype(DType.FLOAT32)
                .setData(ByteString.copyFrom(new byte[12])).build();
        SdException e = assertThrows(SdException.class, () -> TensorCodec.fromProto(p, "latents"));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("latents:"), e.getMessage());
    }

    @Test
    void unsupportedDtypeIsInvalidArgument() {
        Tensor p = Tensor.newBuilder().addShape(1).setDtype(DType.INT64).setData(ByteString.copyFrom(new byte[8])).build();
        assertEquals(SdException.Kind.INVALID_ARGUMENT,
                assertThrows(SdException.class, () -> TensorCodec.fromProto(p, "x")).kind());
    }

    @Test
    void onnxFloat16BoundaryConvertsBothWays() throws Exception {
        FloatTensor t = FloatTensor.of(new long[] {4}, new float[] {1f, 0.333251953125f, -65504f, 2.5f});
        try (OnnxTensor o = TensorCodec.toOnnx(t, OnnxJavaType.FLOAT16)) {
            assertEquals(OnnxJavaType.FLOAT16, o.getInfo().type);
            assertArrayEquals(t.toArray(), TensorCodec.fromOnnx(o).toArray()); // all exactly representable
        }
        try (OnnxTensor o = TensorCodec.toOnnx(t, OnnxJavaType.FLOAT)) {
            assertArrayEquals(t.toArray(), TensorCodec.fromOnnx(o).toArray());
        }
    }

    @Test
    void guidanceAndSplitFollowDiffusers() {
        FloatTensor both = FloatTensor.of(new long[] {2, 2}, new float[] {1, 2, 3, 6});
        FloatTensor[] uc = both.split0(2);
        FloatTensor g = FloatTensor.guidance(uc[0], uc[1], 7.5f);
        assertArrayEquals(new float[] {1 + 7.5f * 2, 2 + 7.5f * 4}, g.toArray());
        assertEquals("FloatTensor[1, 2]", g.toString());
    }
}
