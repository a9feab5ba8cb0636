package dev.sdserve.runtime;

/**
 * How ONNX Runtime sessions are made.
 *
 * @param executionProvider requested EP; unavailable ones fall back to CPU with one log line
 * @param intraOpThreads    threads inside an operator; 0 = ORT's default (all cores)
 * @param optimizationLevel ORT graph optimisation: disable, basic, extended or all
 * @param allowSpinning     ORT's {@code session.intra_op.allow_spinning}: whether idle intra-op threads spin
 *                          (lower latency inside a run; they also hold the cores a moment after each run)
 */
public record RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel,
                             boolean allowSpinning) {

    /** With ORT's default, spinning on (see {@code sd.runtime.allow-spinning} in the README for the trade-off). */
    public RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel) {
        this(executionProvider, intraOpThreads, optimizationLevel, true);
    }

    public static RuntimeOptions defaults() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0, "all");
    }
}
