package dev.sdserve.textencoder;

import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;

/**
 * The loaded text encoders: one {@link TextEncoderStage} per model folder, in an LRU {@link ModelCache} of
 * at most {@code sd.models.max-loaded} models. Plain Java, so benchmarks can build it without CDI.
 */
public final class TextEncoderModels implements AutoCloseable {
    private final ModelRoots roots;
    private final ModelCache<TextEncoderStage> cache;

    public TextEncoderModels(ModelRoots roots, RuntimeOptions options, int maxLoaded, TextEncoderStage.Limits limits) {
        this.roots = roots;
        this.cache = new ModelCache<>(maxLoaded, name -> TextEncoderStage.open(roots.resolve(name), options, limits));
    }

    /**
     * Borrows the stage of a model (empty name = the default model), loading it on first use. Unknown
     * names are NOT_FOUND and path-like names INVALID_ARGUMENT, before anything is loaded. Close the lease.
     */
    public ModelCache<TextEncoderStage>.Lease acquire(String model) {
        ModelFolder folder = roots.resolve(model);
        return cache.acquire(folder.name());
    }

    @Override
    public void close() {
        cache.close();
    }
}
