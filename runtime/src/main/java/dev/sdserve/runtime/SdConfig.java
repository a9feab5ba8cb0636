package dev.sdserve.runtime;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Configuration every service shares. Each service adds its own under {@code sd.<service>.*}. */
public final class SdConfig {
    private SdConfig() {
    }

    /** {@code sd.models.*}: where models live. SD_MODELS_DIR overrides {@code roots}. */
    @ConfigMapping(prefix = "sd.models")
    public interface Models {
        /** Folders holding model folders, separated by ':' or ','; searched in order. */
        @WithDefault("models")
        String roots();

        /** The model used when a request names none; empty = the first model found. */
        Optional<String> defaultModel();

        /** How many models a service keeps loaded at once (LRU). */
        @WithDefault("2")
        int maxLoaded();
    }

    /** {@code sd.runtime.*}: how ONNX Runtime sessions are made. */
    @ConfigMapping(prefix = "sd.runtime")
    public interface Runtime {
        /** cpu, coreml, cuda or auto; unavailable ones fall back to cpu with a log line. */
        @WithDefault("cpu")
        String executionProvider();

        /** Threads inside an ORT operator; 0 = all cores. */
        @WithDefault("0")
        int intraOpThreads();

        /** ORT graph optimisation level: disable, basic, extended, all. */
        @WithDefault("all")
        String optimizationLevel();

        /** ORT's session.intra_op.allow_spinning: idle intra-op threads spin (true, ORT's default) or sleep. */
        @WithDefault("true")
        boolean allowSpinning();

        /** The CUDA device ORT sessions use (execution-provider cuda or auto). */
        @WithDefault("0")
        int cudaDeviceId();

        /** CoreML EP flags, comma-separated ORT CoreMLFlags names (e.g. CPU_AND_GPU,CREATE_MLPROGRAM); empty = none. */
        Optional<String> coremlFlags();

        /**
         * A folder for ONNX Runtime's profiler: every session writes a Chrome-trace JSON of its node timings there
         * when it is closed (model evicted or service stopped). Unset = off; it costs a little time per node.
         */
        Optional<String> profileDir();
    }
}
