package dev.sdserve.unet;

import java.nio.file.Path;
import java.util.Optional;

/**
 * unet-service settings as plain values, so stages and the store are built without CDI (tests, benchmarks).
 *
 * @param graphCacheDir where derived graphs go; empty = beside the source when writable, else the user cache
 * @param cacheTensor   a tensor name that overrides the cut finder (for exports named otherwise)
 * @param limits        the feature store's bounds
 */
public record UnetSettings(Optional<Path> graphCacheDir, Optional<String> cacheTensor, FeatureStore.Limits limits) {
}
