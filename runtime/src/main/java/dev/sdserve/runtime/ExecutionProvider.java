package dev.sdserve.runtime;

import java.util.Locale;

/** The ONNX Runtime execution provider a service asks for (config key {@code sd.runtime.execution-provider}). */
public enum ExecutionProvider {
    CPU, COREML, CUDA,
    /** CUDA where available, else CoreML where available, else CPU. */
    AUTO;

    public static ExecutionProvider parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw SdException.invalid("unknown execution provider '" + value + "': expected cpu, coreml, cuda or auto");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
