package dev.sdserve.unet;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code sd.unet.*}: unet-service settings (see README). */
@ConfigMapping(prefix = "sd.unet")
public interface UnetConfig {
    /** Folder for derived (full + shallow) graphs; unset = beside the model when writable, else ~/.cache/sdserve/graphs. */
    Optional<String> graphCacheDir();

    /** Tensor to cache, overriding the cut finder (exports whose node names do not follow diffusers' modules). */
    Optional<String> cacheTensor();

    /** Sessions open at once; more fail with RESOURCE_EXHAUSTED. */
    @WithDefault("16")
    int maxSessions();

    /** Sessions opened by the unary Open, counted apart from streamed generations; more: RESOURCE_EXHAUSTED. */
    @WithDefault("4")
    int maxUnarySessions();

    /** A unary session idle this long expires. */
    @WithDefault("1m")
    Duration unaryIdleTtl();

    /** On shutdown, Denoise streams and unary calls in flight get this long to finish before the server stops. */
    @WithDefault("10s")
    Duration drainTimeout();

    /**
     * Models loaded before the replica reports SERVING on grpc.health.v1 (readiness); unset = the default model.
     */
    Optional<List<String>> warmModels();

    FeatureStoreConfig featureStore();

    /** {@code sd.unet.feature-store.*}. */
    interface FeatureStoreConfig {
        /** Total bytes of cached features; least recently used ones are evicted beyond it. */
        @WithDefault("2147483648")
        long maxBytes();

        /** A session idle this long expires and frees its feature. */
        @WithDefault("10m")
        Duration idleTtl();
    }

    default UnetSettings settings() {
        return new UnetSettings(graphCacheDir().filter(s -> !s.isBlank()).map(Path::of), cacheTensor(),
                new FeatureStore.Limits(featureStore().maxBytes(), featureStore().idleTtl(), maxSessions(),
                        maxUnarySessions(), unaryIdleTtl()));
    }
}
