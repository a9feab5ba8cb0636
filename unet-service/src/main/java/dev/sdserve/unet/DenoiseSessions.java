package dev.sdserve.unet;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.Tracing;
import dev.sdserve.unet.graph.CutFinder;
import io.opentelemetry.api.trace.Tracer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The unet-service domain: loaded UNet stages (an LRU keyed by model and branch), the feature store, and the
 * open sessions by id. gRPC adapters and benchmarks drive it; nothing here knows about protobuf.
 */
public final class DenoiseSessions implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DenoiseSessions.class);

    private final ModelRoots roots;
    private final FullUnets fulls;
    private final ModelCache<UnetStage> stages;
    private final FeatureStore store;
    private final Map<String, DenoiseSession> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private final Tracer tracer;
    private final int maxLoaded;

    /** Untraced sessions (tests, benchmarks). */
    public DenoiseSessions(ModelRoots roots, RuntimeOptions options, UnetSettings settings, int maxLoaded) {
        this(roots, options, settings, maxLoaded, Tracing.noop());
    }

    /** @param tracer records a {@code unet_step} span per step (see {@link DenoiseSession#step}) */
    public DenoiseSessions(ModelRoots roots, RuntimeOptions options, UnetSettings settings, int maxLoaded,
                           Tracer tracer) {
        this.roots = roots;
        this.tracer = tracer;
        this.maxLoaded = maxLoaded;
        this.store = new FeatureStore(settings.limits());
        this.fulls = new FullUnets(maxLoaded, options);
        this.stages = new ModelCache<>(maxLoaded, key -> {
            int hash = key.lastIndexOf('#');
            ModelFolder folder = roots.resolve(key.substring(0, hash));
            return UnetStage.load(folder, Integer.parseInt(key.substring(hash + 1)), settings, options, fulls);
        });
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unet-feature-store-sweeper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1000, Math.min(30_000, settings.limits().idleTtl().toMillis() / 4));
        sweeper.scheduleAtFixedRate(store::sweepSafely, period, period, TimeUnit.MILLISECONDS);
    }

    /** Opens a session on {@code model} (empty = default) at {@code branch} with the generation's embeddings. */
    public DenoiseSession open(String model, FloatTensor embeddings, int branch) {
        return open(model, UnetConditioning.text(embeddings), branch, false);
    }

    /**
     * Opens a session; {@code unary} = for the unary Open, with its own session limit and shorter idle TTL
     * ({@link FeatureStore#openUnary}).
     */
    public DenoiseSession open(String model, FloatTensor embeddings, int branch, boolean unary) {
        return open(model, UnetConditioning.text(embeddings), branch, unary);
    }

    /**
     * Opens a session on {@code model} (empty = default) at {@code branch} with the generation's conditioning
     * (SDXL: with text_embeds and time_ids).
     */
    public DenoiseSession open(String model, UnetConditioning conditioning, int branch) {
        return open(model, conditioning, branch, false);
    }

    /**
     * Opens a session with the generation's conditioning; {@code unary} = for the unary Open, with its own session
     * limit and shorter idle TTL ({@link FeatureStore#openUnary}).
     */
    public DenoiseSession open(String model, UnetConditioning conditioning, int branch, boolean unary) {
        ModelCache<UnetStage>.Lease lease = stages.acquire(key(model, branch));
        UnetStage.Inputs inputs = null;
        try {
            inputs = lease.get().inputs(conditioning);
            DenoiseSession s = new DenoiseSession(lease.get(), lease, inputs, store, open::remove, tracer, unary);
            open.put(s.id(), s);
            LOG.debugf("unet session %s opened on %s; %s", s.id(), lease.key(), store.stats());
            return s;
        } catch (RuntimeException e) {
            if (inputs != null) inputs.close();
            lease.close();
            throw e;
        }
    }

    /** The open session {@code id}; NOT_FOUND when unknown, closed or expired. */
    public DenoiseSession get(String id) {
        DenoiseSession s = id == null ? null : open.get(id);
        if (s == null) throw SdException.notFound("session_id: unknown, closed or expired UNet session '" + id + "'");
        return s;
    }

    /** Closes session {@code id}; false when it was not open. */
    public boolean close(String id) {
        DenoiseSession s = id == null ? null : open.get(id);
        if (s == null) return false;
        s.close();
        return true;
    }

    /**
     * Describes {@code model}'s UNet at {@code branch}, loading it if needed, but never by unloading a UNet that
     * open sessions use: then RESOURCE_EXHAUSTED.
     */
    public UnetStage.Description describe(String model, int branch) {
        String key = key(model, branch);
        try (ModelCache<UnetStage>.Lease lease = stages.acquireWithoutEvictingLeased(key).orElseThrow(
                () -> SdException.exhausted("model: describing " + key + " would unload a UNet in use (sd.models."
                        + "max-loaded=" + maxLoaded + "); retry when fewer models are in use"))) {
            return lease.get().description();
        }
    }

    public FeatureStore store() {
        return store;
    }

    /** A UNet held in memory: a model at one cache branch. */
    public record Loaded(String model, int branch) {
    }

    /** Full-graph sessions held now: one per model, whatever the number of branches. */
    public int fullGraphsLoaded() {
        return fulls.loaded();
    }

    /** The UNets held now (least recently used first), loading nothing. */
    public List<Loaded> loaded() {
        List<Loaded> out = new ArrayList<>();
        for (String key : stages.loaded()) {
            int hash = key.lastIndexOf('#');
            out.add(new Loaded(key.substring(0, hash), Integer.parseInt(key.substring(hash + 1))));
        }
        return out;
    }

    /** The stage key; INVALID_ARGUMENT naming cache_branch beyond the model's own 3 x up blocks. */
    private String key(String model, int branch) {
        ModelFolder folder = roots.resolve(model);
        CutFinder.checkBranch(branch, folder.unetUpBlocks());
        return folder.name() + "#" + branch;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        open.values().forEach(DenoiseSession::close);
        store.close();
        stages.close();
        fulls.close();
        LOG.infof("unet sessions closed; %s", store.stats());
    }
}
