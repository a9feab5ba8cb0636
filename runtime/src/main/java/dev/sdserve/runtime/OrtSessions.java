package dev.sdserve.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.providers.CoreMLFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Creates ONNX Runtime sessions with the configured execution provider. An EP that is unavailable on this
 * host, or on which the session cannot be created, falls back to CPU, and one log line names what was asked and
 * what is used.
 */
public final class OrtSessions {
    private static final Logger LOG = Logger.getLogger(OrtSessions.class);

    private OrtSessions() {
    }

    /**
     * A session and the EP it actually runs on.
     *
     * @param profiling ONNX Runtime's profiler is on: closing writes its trace file (see
     *                  {@link RuntimeOptions#profileDir()})
     */
    public record Loaded(OrtSession session, ExecutionProvider provider, boolean profiling) implements AutoCloseable {
        public Loaded(OrtSession session, ExecutionProvider provider) {
            this(session, provider, false);
        }

        @Override
        public void close() {
            try {
                if (profiling) LOG.infof("ONNX Runtime profile written: %s", session.endProfiling());
                session.close();
            } catch (OrtException e) {
                LOG.warn("closing session: " + e.getMessage());
            }
        }
    }

    public static OrtEnvironment env() {
        return OrtEnvironment.getEnvironment();
    }

    /** Opens {@code model} (a .onnx file; external weights are found beside it). */
    public static Loaded open(Path model, RuntimeOptions options) {
        return open(model, options, o -> { });
    }

    /**
     * Opens {@code model}, letting the caller add session settings (for example the folder of external
     * initializers of a derived graph) before the session is created.
     */
    public static Loaded open(Path model, RuntimeOptions options, Consumer<SessionOptions> customize) {
        if (!Files.isRegularFile(model)) {
            throw SdException.notFound("model file missing: " + model);
        }
        return create(model, options, customize::accept, so -> env().createSession(model.toString(), so));
    }

    /**
     * Opens a serialized model held in memory (for example a derived graph), reading its external initializers
     * from {@code externalDataFolder}. ONNX Runtime rejects external-data locations that are absolute or leave
     * the model file's folder, so a graph kept apart from its weights can only name them this way.
     *
     * @param label names the model in log lines and errors
     */
    public static Loaded open(byte[] model, Path externalDataFolder, Path label, RuntimeOptions options,
                              Consumer<SessionOptions> customize) {
        return create(label, options, so -> {
            so.addConfigEntry(EXTERNAL_INITIALIZERS_FOLDER, externalDataFolder.toAbsolutePath().toString());
            customize.accept(so);
        }, so -> env().createSession(model, so));
    }

    /** ORT's session config key naming the folder of external initializers of a model loaded from memory. */
    public static final String EXTERNAL_INITIALIZERS_FOLDER = "session.model_external_initializers_file_folder_path";

    interface SessionFactory {
        OrtSession create(SessionOptions so) throws OrtException;
    }

    interface OptionsCustomizer {
        void accept(SessionOptions so) throws OrtException;
    }

    /** Adds an execution provider to session options; returns the EP in use (CPU when it fell back). */
    interface ProviderSetup {
        ExecutionProvider add(SessionOptions so, RuntimeOptions options, Path model);
    }

    private static Loaded create(Path label, RuntimeOptions options, OptionsCustomizer customize,
                                 SessionFactory factory) {
        return create(label, options, customize, factory, OrtSessions::addProvider);
    }

    /**
     * Creates the session with the requested EP; when that fails on an EP other than CPU (a provider that was added
     * but cannot build this graph, a device that is busy or missing), logs the fallback line and creates it on CPU.
     * Session options are closed either way.
     */
    static Loaded create(Path label, RuntimeOptions options, OptionsCustomizer customize, SessionFactory factory,
                         ProviderSetup providers) {
        ExecutionProvider used;
        try (SessionOptions so = options(label, options, customize)) {
            used = providers.add(so, options, label);
            try {
                return new Loaded(factory.create(so), used, options.profileDir().isPresent());
            } catch (OrtException | RuntimeException e) {
                if (used == ExecutionProvider.CPU) throw e;
                logFallback(options.executionProvider(), label,
                        "creating the session on " + used.id() + " failed: " + e.getMessage());
            }
        } catch (OrtException e) {
            throw failed(label, e);
        }
        try (SessionOptions cpu = options(label, options, customize)) {
            return new Loaded(factory.create(cpu), ExecutionProvider.CPU, options.profileDir().isPresent());
        } catch (OrtException e) {
            throw failed(label, e);
        }
    }

    private static SessionOptions options(Path label, RuntimeOptions options, OptionsCustomizer customize)
            throws OrtException {
        SessionOptions so = new SessionOptions();
        try {
            so.setOptimizationLevel(optLevel(options.optimizationLevel()));
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            so.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
            if (options.profileDir().isPresent()) so.enableProfiling(profilePrefix(options.profileDir().get(), label));
            customize.accept(so);
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    /**
     * Where a session's profile goes: {@code dir/<folder>-<file>} (ONNX Runtime appends the start time and
     * {@code .json}), so {@code unet/model.onnx} and a derived {@code …/shallow.onnx} stay apart.
     */
    static String profilePrefix(Path dir, Path label) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "sd.runtime.profile-dir: cannot create "
                    + dir + ": " + e.getMessage(), e);
        }
        String file = label.getFileName() == null ? "model" : label.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path parent = label.getParent();
        String folder = parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "-";
        return dir.resolve((folder + file).replaceAll("[^A-Za-z0-9._-]", "_")).toString();
    }

    private static SdException failed(Path label, OrtException e) {
        return new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot load ONNX model " + label + ": "
                + e.getMessage(), e);
    }

    /** The one line every fallback to CPU writes: what was asked, what is used, for which model, and why. */
    static void logFallback(ExecutionProvider requested, Path model, String reason) {
        LOG.warnf("execution provider: requested=%s, using=cpu for %s (%s)", requested.id(), model.getFileName(), reason);
    }

    /** Adds the requested EP to the options, or falls back to CPU; returns the EP in use. */
    static ExecutionProvider addProvider(SessionOptions so, RuntimeOptions options, Path model) {
        ExecutionProvider requested = options.executionProvider();
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        ExecutionProvider used = ExecutionProvider.CPU;
        String reason = "";
        switch (requested) {
            case CPU -> { }
            case CUDA -> {
                reason = tryCuda(so, available, options.cudaDeviceId());
                if (reason == null) used = ExecutionProvider.CUDA;
            }
            case COREML -> {
                reason = tryCoreMl(so, available, options);
                if (reason == null) used = ExecutionProvider.COREML;
            }
            case AUTO -> {
                String cuda = tryCuda(so, available, options.cudaDeviceId());
                if (cuda == null) {
                    used = ExecutionProvider.CUDA;
                } else {
                    String coreml = tryCoreMl(so, available, options);
                    if (coreml == null) used = ExecutionProvider.COREML;
                    else reason = cuda + "; " + coreml;
                }
            }
        }
        if (requested != ExecutionProvider.CPU && used == ExecutionProvider.CPU) {
            logFallback(requested, model, reason);
        } else {
            LOG.infof("execution provider: requested=%s, using=%s for %s", requested.id(), used.id(), model);
        }
        return used;
    }

    private static String tryCuda(SessionOptions so, EnumSet<OrtProvider> available, int deviceId) {
        if (!available.contains(OrtProvider.CUDA)) {
            return "CUDA is not in this ONNX Runtime build (build with -Pcuda on a CUDA host)";
        }
        try {
            so.addCUDA(deviceId);
            return null;
        } catch (OrtException | RuntimeException e) {
            return "CUDA device " + deviceId + " failed to initialise: " + e.getMessage();
        }
    }

    private static String tryCoreMl(SessionOptions so, EnumSet<OrtProvider> available, RuntimeOptions options) {
        if (!available.contains(OrtProvider.CORE_ML)) {
            return "CoreML is not available on this host (Apple macOS builds only)";
        }
        try {
            so.addCoreML(options.coremlFlags().isEmpty() ? EnumSet.noneOf(CoreMLFlags.class)
                    : EnumSet.copyOf(options.coremlFlags()));
            return null;
        } catch (OrtException | RuntimeException e) {
            return "CoreML failed to initialise: " + e.getMessage();
        }
    }

    static OptLevel optLevel(String level) {
        return switch (level == null ? "all" : level.toLowerCase(Locale.ROOT)) {
            case "disable", "none", "off" -> OptLevel.NO_OPT;
            case "basic" -> OptLevel.BASIC_OPT;
            case "extended" -> OptLevel.EXTENDED_OPT;
            case "all" -> OptLevel.ALL_OPT;
            default -> throw SdException.invalid("unknown ORT optimization level '" + level
                    + "': expected disable, basic, extended or all");
        };
    }
}
