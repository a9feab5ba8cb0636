package dev.sdserve.orchestrator;

import dev.sdserve.runtime.OnnxInputs;
import java.nio.file.Path;
import java.util.Optional;

/** The element type of one graph input, read without loading the model (see {@link OnnxInputs}). */
final class OnnxInputDtype {
    private OnnxInputDtype() {
    }

    /** "float32", "float16", ... for input {@code name}; empty when the file or the input cannot be read. */
    static Optional<String> of(Path onnx, String name) {
        return OnnxInputs.dtype(onnx, name);
    }
}
