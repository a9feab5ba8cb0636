package dev.sdserve.forge;

/**
 * How a model folder is written.
 *
 * @param externalDataThresholdBytes a part whose weights exceed this many bytes keeps them in
 *                                   {@code model.onnx_data} beside {@code model.onnx}; smaller parts embed them
 */
public record ForgeOptions(long externalDataThresholdBytes) {
    /** 128 MiB: far below protobuf's 2 GB limit, and bounds the memory an embedded part needs while writing. */
    public static final long DEFAULT_EXTERNAL_THRESHOLD = 128L << 20;

    public static ForgeOptions defaults() {
        return new ForgeOptions(DEFAULT_EXTERNAL_THRESHOLD);
    }
}
