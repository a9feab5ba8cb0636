package dev.sdserve.orchestrator;

import dev.sdserve.runtime.OnnxInputs;
import dev.sdserve.runtime.WarnOnce;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The element type of one graph input, read without loading the model (see {@link OnnxInputs}); a file that
 * cannot be read is warned about once with its path.
 */
final class OnnxInputDtype {
    private static final Logger LOG = Logger.getLogger(OnnxInputDtype.class);

    private OnnxInputDtype() {
    }

    /** "float32", "float16", ... for input {@code name}; empty when the file or the input cannot be read. */
    static Optional<String> of(Path onnx, String name) {
        try {
            Integer t = OnnxInputs.read(onnx).get(name);
            return t == null || t == 0 ? Optional.empty() : Optional.of(OnnxInputs.dtypeName(t));
        } catch (IOException | RuntimeException e) {
            WarnOnce.warn(LOG, onnx, "cannot read the input types of ONNX file", e);
            return Optional.empty();
        }
    }
}
