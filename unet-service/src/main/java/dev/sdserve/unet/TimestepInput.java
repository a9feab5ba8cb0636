package dev.sdserve.unet;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.SdException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * How a UNet export takes its timestep, read from the session's input info: float32 {@code [batch]}
 * (diffusers' own exporter), int64 {@code [1]} or {@code [batch]} (old optimum), a rank-0 float32 (new optimum,
 * SDXL's exports), or float16 / float64 / int32 variants of these. Integer inputs truncate toward zero, as numpy's
 * {@code astype} does in diffusers' OnnxStableDiffusionPipeline.
 *
 * @param type   the declared element type
 * @param rank   0 for a scalar, 1 for a vector
 * @param length the declared length of a vector: 1 for one value shared by the batch, -1 (dynamic) for one
 *               value per batch element
 */
public record TimestepInput(OnnxJavaType type, int rank, long length) {

    public TimestepInput {
        SdException.require(rank == 0 || rank == 1, "timestep input of rank " + rank + " is not supported (0 or 1)");
    }

    /** A scalar, or a vector of one value per batch element. */
    public TimestepInput(OnnxJavaType type, int rank) {
        this(type, rank, -1);
    }

    /** From the declared type and shape of a session's timestep input. */
    public static TimestepInput of(OnnxJavaType type, long[] shape) {
        return new TimestepInput(type, shape.length, shape.length == 1 ? shape[0] : -1);
    }

    /**
     * The timestep tensor for a batch: {@code t} holds one value for the whole batch or one per element.
     * A rank-0 input can only take one value.
     */
    public OnnxTensor toOnnx(double[] t, int batch) {
        SdException.require(t.length == 1 || t.length == batch,
                "timestep: " + t.length + " values for a batch of " + batch);
        for (double v : t) SdException.require(Double.isFinite(v), "timestep: " + v + " is not finite");
        boolean one = rank == 0 || length == 1;
        if (one) {
            SdException.require(Arrays.stream(t).distinct().count() == 1,
                    "timestep: this model takes one timestep for the whole batch, got " + Arrays.toString(t));
        }
        int n = one ? 1 : batch;
        long[] shape = rank == 0 ? new long[0] : new long[] {n};
        ByteBuffer b = ByteBuffer.allocateDirect(n * type.size).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) put(b, t[t.length == 1 ? 0 : i]);
        b.rewind();
        try {
            return OnnxTensor.createTensor(OrtSessions.env(), b, shape, type);
        } catch (OrtException e) {
            throw SdException.internal("creating the timestep tensor", e);
        }
    }

    private void put(ByteBuffer b, double v) {
        switch (type) {
            case FLOAT -> b.putFloat((float) v);
            case DOUBLE -> b.putDouble(v);
            case FLOAT16 -> b.putShort(Fp16Conversions.floatToFp16((float) v));
            case INT64 -> b.putLong((long) v);
            case INT32 -> b.putInt((int) v);
            default -> throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                    "the UNet's timestep input is " + type + "; expected a float or integer type");
        }
    }
}
