package dev.sdserve.unet;

import ai.onnxruntime.OnnxTensor;
import java.util.Arrays;
import org.jboss.logging.Logger;

/**
 * A cached DeepCache feature exactly as ONNX Runtime returned it (no copy), with the run result that owns its
 * native memory and the shape of the sample that produced it. Closing it frees that memory.
 *
 * @param tensor      the cache tensor, fed back as the shallow graph's extra input
 * @param owner       what must be closed to free it (the full run's result)
 * @param sampleShape the sample the full step ran on; a shallow step must match its batch and size
 * @param bytes       the tensor's size, for the store's byte budget
 */
public record Feature(OnnxTensor tensor, AutoCloseable owner, long[] sampleShape, long bytes) implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Feature.class);

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
