package dev.sdserve.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.platform.Fp16Conversions;
import org.junit.jupiter.api.Test;

class TimestepInputTest {

    @Test
    void floatPerBatchElement() throws Exception {
        try (OnnxTensor t = new TimestepInput(OnnxJavaType.FLOAT, 1).toOnnx(new double[] {946.4211}, 2)) {
            assertArrayEquals(new long[] {2}, t.getInfo().getShape());
            assertArrayEquals(new float[] {946.4211f, 946.4211f}, (float[]) t.getValue());
        }
        try (OnnxTensor t = new TimestepInput(OnnxJavaType.FLOAT, 1).toOnnx(new double[] {10, 750.5}, 2)) {
            assertArrayEquals(new float[] {10f, 750.5f}, (float[]) t.getValue());
        }
    }

    @Test
    void int64TruncatesAsNumpyDoes() throws Exception {
        try (OnnxTensor t = new TimestepInput(OnnxJavaType.INT64, 1).toOnnx(new double[] {946.9}, 3)) {
            assertEquals(OnnxJavaType.INT64, t.getInfo().type);
            assertArrayEquals(new long[] {946, 946, 946}, (long[]) t.getValue());
        }
    }

    @Test
    void rankZeroFloatAndFloat16() throws Exception {
        try (OnnxTensor t = new TimestepInput(OnnxJavaType.FLOAT, 0).toOnnx(new double[] {981}, 2)) {
            assertArrayEquals(new long[0], t.getInfo().getShape());
            assertEquals(981f, (Float) t.getValue());
        }
        try (OnnxTensor t = new TimestepInput(OnnxJavaType.FLOAT16, 1).toOnnx(new double[] {500}, 1)) {
            assertEquals(500f, Fp16Conversions.fp16ToFloat(t.getShortBuffer().get(0)));
        }
        UnetStageTest.assertInvalid(() -> new TimestepInput(OnnxJavaType.FLOAT, 0).toOnnx(new double[] {1, 2}, 2),
                "one timestep for the whole batch");
        UnetStageTest.assertInvalid(() -> new TimestepInput(OnnxJavaType.FLOAT, 1).toOnnx(new double[] {Double.NaN}, 1),
                "not finite");
    }
}
