package dev.sdserve.unet;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sdserve.runtime.SdException;
import java.util.Arrays;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * A cached DeepCache feature exactly as ONNX Runtime returned it (no copy), with what owns its native memory and
 * the shape of the sample that produced it. Closing it frees that memory.
 *
 * @param tensor      the cache tensor, fed back as the shallow graph's extra input
 * @param owner       what must be closed to free it (the tensor itself, see {@link #keepOnly})
 * @param sampleShape the sample the full step ran on; a shallow step must match its batch and size
 * @param bytes       the tensor's size, for the store's byte budget
 */
public record Feature(OnnxTensor tensor, AutoCloseable owner, long[] sampleShape, long bytes) implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Feature.class);

    /**
     * Keeps only the tensor {@code name} of a run's result, as a feature owning nothing else: every other value of
     * the result (the full step's {@code out_sample}, other branches' tensors) is freed now, so the native memory
     * a stored feature holds is exactly the {@code bytes} the store counts. Read the other outputs first.
     */
    public static Feature keepOnly(OrtSession.Result result, String name, long[] sampleShape) {
        OnnxValue kept = result.get(name).orElse(null);
        for (Map.Entry<String, OnnxValue> e : result) {
            if (e.getValue() != kept) e.getValue().close();
        }
        if (!(kept instanceof OnnxTensor tensor)) {
            if (kept != null) kept.close();
            throw SdException.internal("the full graph returned no tensor '" + name + "'", null);
        }
        TensorInfo info = tensor.getInfo();
        return new Feature(tensor, tensor, sampleShape, info.getNumElements() * info.type.size);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            LOG.warnf("freeing cached feature: %s", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "Feature" + Arrays.toString(tensor.getInfo().getShape()) + " (" + bytes + " bytes)";
    }
}
