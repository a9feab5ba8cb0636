package dev.sdserve.unet;

import ai.onnxruntime.OnnxTensor;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Test access to tiny-sd15's UNet, with derived graphs under target/ (../shared is read-only). */
final class TinyUnet {
    static final Path GRAPHS = Path.of("target/test-graphs").toAbsolutePath();

    private TinyUnet() {
    }

    static UnetSettings settings(Path graphs, long maxBytes, Duration ttl, int maxSessions) {
        return new UnetSettings(Optional.of(graphs), Optional.empty(), new FeatureStore.Limits(maxBytes, ttl, maxSessions));
    }

    static UnetSettings settings() {
        return settings(GRAPHS, 1L << 30, Duration.ofMinutes(10), 16);
    }

    static ModelFolder folder() {
        return ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel());
    }

    private static final java.util.Map<Integer, UnetStage> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

    /** A stage shared by every test class of the run (loading one takes seconds); never close it. */
    static UnetStage shared(int branch) {
        return SHARED.computeIfAbsent(branch, b -> UnetStage.load(folder(), b, settings(), RuntimeOptions.defaults()));
    }

    static Path unetCase(String id) {
        return SharedFixtures.fixtures().resolve("unet").resolve(id);
    }

    /** The timestep.f32 of a UNet case, one value per batch element. */
    static double[] timesteps(Path dir) {
        float[] f = SharedFixtures.f32(dir.resolve("timestep.f32"));
        double[] t = new double[f.length];
        for (int i = 0; i < f.length; i++) t[i] = f[i];
        return t;
    }

    static FloatTensor copy(OnnxTensor t) {
        return TensorCodec.fromOnnx(t);
    }
}
