package dev.sdserve.cli;

import dev.sdserve.proto.v1.DeepCacheParams;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The DeepCache flags of the seed, shared by txt2image and image2image. {@code --cache_branch_id} has
 * DeepCacheSDHelper's meaning; {@code --cache_layer_id M} is the seed's MLX flag, which caches the output
 * of up block 2-M, i.e. branch {@code 3M+2}. The two are mutually exclusive.
 */
public final class DeepCacheOptions {
    /** DeepCacheSDHelper's branch ids run 0..11 (the proto's range). */
    static final int MAX_BRANCH = 11;

    @Option(names = "--cache_interval", defaultValue = "1", paramLabel = "N",
            description = "Run the full UNet every N steps, the shallow one in between; 1 = no caching (default: ${DEFAULT-VALUE}).")
    int cacheInterval;

    @Option(names = "--cache_branch_id", paramLabel = "B",
            description = "DeepCache branch 0..11 whose output is cached (DeepCacheSDHelper's cache_branch_id; default: 0).")
    Integer cacheBranchId;

    @Option(names = "--cache_layer_id", paramLabel = "M",
            description = "The seed's MLX flag: cache the output of up block 2-M, i.e. branch 3M+2. Excludes --cache_branch_id.")
    Integer cacheLayerId;

    @Option(names = "--uniform", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Uniform schedule: every N-th step is full (default). --no-uniform uses DeepCache's quadratic schedule.")
    boolean uniform;

    @Option(names = "--center", defaultValue = "15", paramLabel = "C",
            description = "Centre step of the non-uniform schedule (default: ${DEFAULT-VALUE}).")
    double center;

    @Option(names = "--pow", defaultValue = "1.4", paramLabel = "P",
            description = "Power of the non-uniform schedule (default: ${DEFAULT-VALUE}).")
    double pow;

    /** The branch to cache: from --cache_layer_id when given, else --cache_branch_id, else 0. */
    public int branch() {
        if (cacheLayerId != null) return 3 * cacheLayerId + 2;
        return cacheBranchId == null ? 0 : cacheBranchId;
    }

    /** Range and exclusivity checks, as usage errors. */
    void validate(CommandLine cmd) {
        if (cacheInterval < 1) throw usage(cmd, "--cache_interval must be >= 1, got " + cacheInterval);
        if (cacheBranchId != null && cacheLayerId != null) {
            throw usage(cmd, "--cache_branch_id and --cache_layer_id are mutually exclusive (layer M is branch 3M+2)");
        }
        if (cacheBranchId != null && (cacheBranchId < 0 || cacheBranchId > MAX_BRANCH)) {
            throw usage(cmd, "--cache_branch_id must be in 0.." + MAX_BRANCH + ", got " + cacheBranchId);
        }
        if (cacheLayerId != null && (cacheLayerId < 0 || branch() > MAX_BRANCH)) {
            throw usage(cmd, "--cache_layer_id must be in 0.." + (MAX_BRANCH - 2) / 3 + " (branch 3M+2 <= "
                    + MAX_BRANCH + "), got " + cacheLayerId);
        }
        if (!(center >= 0 && Double.isFinite(center))) throw usage(cmd, "--center must be a finite number >= 0, got " + center);
        if (!(pow > 0 && Double.isFinite(pow))) throw usage(cmd, "--pow must be a finite number > 0, got " + pow);
    }

    DeepCacheParams toProto() {
        return DeepCacheParams.newBuilder()
                .setCacheInterval(cacheInterval)
                .setCacheBranchId(branch())
                .setNonUniform(!uniform)
                .setCenter(center)
                .setPower(pow)
                .build();
    }

    static CommandLine.ParameterException usage(CommandLine cmd, String message) {
        return new CommandLine.ParameterException(cmd, message);
    }
}
