package dev.sdserve.unet;

import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.unet.graph.DerivedGraphs;
import java.nio.file.Path;

/**
 * The full UNet graphs: one ONNX Runtime session per model, shared by every cache branch (the derived full graph
 * returns each branch's cut tensor), so serving a second branch adds only its shallow graph. An LRU of
 * {@code maxLoaded}; a session stays open while a {@link UnetStage} leases it.
 */
public final class FullUnets implements AutoCloseable {
    private static final char SEP = '\n';
    private final ModelCache<OrtSessions.Loaded> sessions;

    public FullUnets(int maxLoaded, RuntimeOptions options) {
        this.sessions = new ModelCache<>(maxLoaded, key -> {
            int sep = key.indexOf(SEP);
            return UnetStage.open(Path.of(key.substring(0, sep)), Path.of(key.substring(sep + 1)), options);
        });
    }

    /** The full graph's session for {@code graphs}, opening it on first use; close the lease when done. */
    ModelCache<OrtSessions.Loaded>.Lease acquire(DerivedGraphs.Entry graphs) {
        return sessions.acquire(graphs.full().toAbsolutePath() + String.valueOf(SEP) + graphs.fullWeightsFolder().toAbsolutePath());
    }

    /** Full graphs loaded now. */
    public int loaded() {
        return sessions.loaded().size();
    }

    @Override
    public void close() {
        sessions.close();
    }
}
