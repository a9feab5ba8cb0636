package dev.sdserve.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Creates ONNX Runtime sessions with the configured execution provider. An EP that is unavailable on this
 * host falls back to CPU, and one log line names what was asked and what is used.
 */
public final class OrtSessions {
    private static final Logger LOG = Logger.getLogger(OrtSessions.class);

    private OrtSessions() {
    }

    /** A session and the EP it actually runs on. */
    public record Loaded(OrtSession session, ExecutionProvider provider) implements AutoCloseable {
        @Override
        public void close() {
            try {
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

    private interface SessionFactory {
        OrtSession create(SessionOptions so) throws OrtException;
    }

    private interface OptionsCustomizer {
        void accept(SessionOptions so) throws OrtException;
    }

    private static Loaded create(Path label, RuntimeOptions options, OptionsCustomizer customize,
                                 SessionFactory factory) {
        try {
            SessionOptions so = new SessionOptions();
            so.setOptimizationLevel(optLevel(options.optimizationLevel()));
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            so.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
            ExecutionProvider used = addProvider(so, options.executionProvider(), label);
            customize.accept(so);
            OrtSession session = factory.create(so);
            return new Loaded(session, used);
        } catch (OrtException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                    "cannot load ONNX model " + label + ": " + e.getMessage(), e);
        }
    }

    /** Adds the requested EP to the options, or falls back to CPU; returns the EP in use. */
    static ExecutionProvider addProvider(SessionOptions so, ExecutionProvider requested, Path model) {
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        ExecutionProvider used = ExecutionProvider.CPU;
        String reason = "";
        switch (requested) {
            case CPU -> { }
            case CUDA -> {
                reason = tryCuda(so, available);
                if (reason == null) used = ExecutionProvider.CUDA;
            }
            case COREML -> {
                reason = tryCoreMl(so, available);
                if (reason == null) used = ExecutionProvider.COREML;
            }
            case AUTO -> {
                String cuda = tryCuda(so, available);
                if (cuda == null) {
                    used = ExecutionProvider.CUDA;
                } else {
                    String coreml = tryCoreMl(so, available);
                    if (coreml == null) used = ExecutionProvider.COREML;
                    else reason = cuda + "; " + coreml;
                }
            }
        }
        if (requested != ExecutionProvider.CPU && used == ExecutionProvider.CPU) {
            LOG.warnf("execution provider: requested=%s, using=cpu for %s (%s)", requested.id(), model.getFileName(), reason);
        } else {
            LOG.infof("execution provider: requested=%s, using=%s for %s", requested.id(), used.id(), model);
        }
        return used;
    }

    private static String tryCuda(SessionOptions so, EnumSet<OrtProvider> available) {
        if (!available.contains(OrtProvider.CUDA)) {
            return "CUDA is not in this ONNX Runtime build (build with -Pcuda on a CUDA host)";
        }
        try {
            so.addCUDA(0);
            return null;
        } catch (OrtException | RuntimeException e) {
            return "CUDA failed to initialise: " + e.getMessage();
        }
    }

    private static String tryCoreMl(SessionOptions so, EnumSet<OrtProvider> available) {
        if (!available.contains(OrtProvider.CORE_ML)) {
            return "CoreML is not available on this host (Apple macOS builds only)";
        }
        try {
            so.addCoreML();
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
