package dev.sdserve.runtime;

import ai.onnxruntime.providers.CoreMLFlags;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * How ONNX Runtime sessions are made.
 *
 * @param executionProvider requested EP; unavailable ones fall back to CPU with one log line
 * @param intraOpThreads    threads inside an operator; 0 = ORT's default (all cores)
 * @param optimizationLevel ORT graph optimisation: disable, basic, extended or all
 * @param allowSpinning     ORT's {@code session.intra_op.allow_spinning}: whether idle intra-op threads spin
 *                          (lower latency inside a run; they also hold the cores a moment after each run)
 * @param cudaDeviceId      the CUDA device sessions use ({@code sd.runtime.cuda-device-id})
 * @param coremlFlags       CoreML EP flags ({@code sd.runtime.coreml-flags}), e.g. CPU_AND_GPU, CREATE_MLPROGRAM
 * @param profileDir        where ONNX Runtime's profiler writes one JSON trace per session, on close
 *                          ({@code sd.runtime.profile-dir}); empty = profiling off
 */
public record RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel,
                             boolean allowSpinning, int cudaDeviceId, Set<CoreMLFlags> coremlFlags,
                             Optional<Path> profileDir) {

    public RuntimeOptions {
        SdException.require(cudaDeviceId >= 0, "sd.runtime.cuda-device-id: must be >= 0, got " + cudaDeviceId);
        coremlFlags = Set.copyOf(coremlFlags);
    }

    public RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel,
                          boolean allowSpinning, int cudaDeviceId, Set<CoreMLFlags> coremlFlags) {
        this(executionProvider, intraOpThreads, optimizationLevel, allowSpinning, cudaDeviceId, coremlFlags,
                Optional.empty());
    }

    /** The same options with ONNX Runtime's profiler on: each session writes its trace into {@code dir} when closed. */
    public RuntimeOptions withProfiling(Path dir) {
        return new RuntimeOptions(executionProvider, intraOpThreads, optimizationLevel, allowSpinning, cudaDeviceId,
                coremlFlags, Optional.of(dir));
    }

    public RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel,
                          boolean allowSpinning) {
        this(executionProvider, intraOpThreads, optimizationLevel, allowSpinning, 0, Set.of());
    }

    /** Parses {@code sd.runtime.coreml-flags}: CoreMLFlags names separated by commas; blank = none. */
    public static Set<CoreMLFlags> coremlFlags(String names) {
        Set<CoreMLFlags> out = EnumSet.noneOf(CoreMLFlags.class);
        if (names == null) return out;
        for (String n : names.split(",")) {
            if (n.isBlank()) continue;
            try {
                out.add(CoreMLFlags.valueOf(n.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw SdException.invalid("sd.runtime.coreml-flags: unknown flag '" + n.trim() + "'; expected "
                        + Arrays.toString(CoreMLFlags.values()));
            }
        }
        return out;
    }

    /** With ORT's default, spinning on (see {@code sd.runtime.allow-spinning} in the README for the trade-off). */
    public RuntimeOptions(ExecutionProvider executionProvider, int intraOpThreads, String optimizationLevel) {
        this(executionProvider, intraOpThreads, optimizationLevel, true);
    }

    public static RuntimeOptions defaults() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0, "all");
    }
}
