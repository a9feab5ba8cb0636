package dev.sdserve.runtime;

/**
 * How ONNX Runtime sessions are made.
 *
 * @param executionProvider requested EP; unavailable ones fall back to CPU with one log line
 * @param intraOpThreads    threads inside an operator; 0 = ORT's default (all cores)
 * @param optimizationLevel ORT graph optimisation: disable, basic, extended or all
 */
public record RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel) {

    public static RuntimeOptions defaults() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0, "all");
    }
}
