package dev.sdserve.vae;

import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;

/**
 * The loaded VAEs, one {@link VaeStage} per model name, kept in an LRU of {@code maxLoaded} models. Plain
 * Java: the service builds it from config, the benchmark and tests build it directly.
 */
public final class VaeModels implements AutoCloseable {
    private final ModelRoots roots;
    private final ModelCache<VaeStage> cache;

    public VaeModels(ModelRoots roots, RuntimeOptions options, VaeLimits limits, int maxLoaded) {
        this.roots = roots;
        this.cache = new ModelCache<>(maxLoaded, name -> VaeStage.load(roots.resolve(name), options, limits));
    }

    /**
     * Borrows the VAE of {@code model} (empty = the default model), loading it on first use; close the lease
     * when done. NOT_FOUND for unknown models, INVALID_ARGUMENT for names that are paths.
     */
    public ModelCache<VaeStage>.Lease acquire(String model) {
        // Resolve first so that "" and "tiny-sd15" share one cache entry and bad names fail before loading.
        return cache.acquire(roots.resolve(model).name());
    }

    @Override
    public void close() {
        cache.close();
    }
}
