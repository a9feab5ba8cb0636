package dev.sdserve.orchestrator.pipeline;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The per-stage profile of one generation: how often each stage ran and for how long. Used by one
 * generation's thread only.
 */
public final class StageTimings {

    /** Profile rows, named as the public API reports them. */
    public enum Stage {
        TEXT_ENCODE("text_encode"),
        UNET_FULL("unet_full"),
        UNET_SHALLOW("unet_shallow"),
        /** Moving a UNet session to another replica: the reopen and the re-run FULL step that rebuilds its feature. */
        UNET_MIGRATION("unet_migration"),
        SCHEDULER("scheduler"),
        VAE("vae"),
        /** The UNet round trip as the orchestrator saw it minus the service's own server_ms: transport cost. */
        GRPC_OVERHEAD("grpc_overhead"),
        TOTAL("total");

        public final String id;

        Stage(String id) {
            this.id = id;
        }
    }

    /** One row: {@code count} runs taking {@code totalMs} in all. */
    public record Timing(String stage, int count, double totalMs) {
        public double meanMs() {
            return count == 0 ? 0 : totalMs / count;
        }
    }

    private final Map<Stage, double[]> rows = new EnumMap<>(Stage.class);

    /** Adds one run of {@code stage} that took {@code ms}. */
    public void add(Stage stage, double ms) {
        double[] r = rows.computeIfAbsent(stage, s -> new double[2]);
        r[0] += 1;
        r[1] += ms;
    }

    /** Runs {@code work}, adding its wall time to {@code stage}. */
    public <T> T time(Stage stage, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            add(stage, millisSince(start));
        }
    }

    /** The rows that ran, in {@link Stage} order. */
    public List<Timing> rows() {
        List<Timing> out = new ArrayList<>();
        rows.forEach((stage, r) -> out.add(new Timing(stage.id, (int) r[0], r[1])));
        return out;
    }

    public static double millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
