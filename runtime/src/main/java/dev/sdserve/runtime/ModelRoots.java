package dev.sdserve.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The folders that hold model folders, searched in order. Config gives them
 * ({@code sd.models.roots}); the environment variable {@code SD_MODELS_DIR} ({@code :}-separated)
 * overrides config. Clients name models by folder name only, so no request can open an arbitrary path.
 */
public final class ModelRoots {
    private static final Logger LOG = Logger.getLogger(ModelRoots.class);
    public static final String ENV = "SD_MODELS_DIR";

    private final List<Path> roots;
    private final String defaultModel;

    public ModelRoots(List<Path> roots, String defaultModel) {
        this.roots = List.copyOf(roots);
        this.defaultModel = defaultModel == null ? "" : defaultModel.trim();
    }

    /** Roots from SD_MODELS_DIR when set and non-empty, else from the configured list. */
    public static ModelRoots fromConfig(String configuredRoots, String defaultModel) {
        String env = System.getenv(ENV);
        String spec = env != null && !env.isBlank() ? env : configuredRoots;
        return new ModelRoots(parse(spec), defaultModel);
    }

    public static List<Path> parse(String spec) {
        List<Path> out = new ArrayList<>();
        for (String s : spec.split("[:,]")) {
            if (!s.isBlank()) out.add(Path.of(s.trim()).toAbsolutePath().normalize());
        }
        return out;
    }

    public List<Path> roots() {
        return roots;
    }

    /** Checks a model name: a plain folder name, no separators, no "..". */
    public static void validateName(String name) {
        SdException.require(name != null && !name.isBlank(), "model: empty model name");
        SdException.require(!name.contains("/") && !name.contains("\\") && !name.contains("..")
                        && !name.startsWith(".") && name.indexOf('\0') < 0 && name.length() <= 200,
                "model: '" + name + "' is not a plain folder name (no path separators or '..')");
    }

    /**
     * The configured default model when a root holds it, else the first model found (so pointing
     * SD_MODELS_DIR at another folder still gives a working default).
     */
    public String defaultModel() {
        Map<String, ModelFolder> all = list();
        if (!defaultModel.isEmpty() && (all.containsKey(defaultModel) || all.isEmpty())) return defaultModel;
        return all.keySet().stream().findFirst()
                .orElseThrow(() -> SdException.notFound("no models under " + roots + " (set " + ENV + ")"));
    }

    /** Resolves a name (empty = default) to its folder in the first root that has it. */
    public ModelFolder resolve(String name) {
        String n = name == null || name.isBlank() ? defaultModel() : name.trim();
        validateName(n);
        for (Path root : roots) {
            Path p = root.resolve(n);
            if (Files.isDirectory(p)) return ModelFolder.open(n, p);
        }
        throw SdException.notFound("model '" + n + "' not found under " + roots);
    }

    /** Every model folder under the roots, first root winning on duplicate names. */
    public Map<String, ModelFolder> list() {
        Map<String, ModelFolder> out = new LinkedHashMap<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> s = Files.list(root)) {
                s.filter(Files::isDirectory).sorted()
                        .filter(p -> Files.isRegularFile(p.resolve("model_index.json")) || Files.isDirectory(p.resolve("unet")))
                        .forEach(p -> out.putIfAbsent(p.getFileName().toString(),
                                new ModelFolder(p.getFileName().toString(), p)));
            } catch (IOException | java.io.UncheckedIOException e) {
                WarnOnce.warn(LOG, root, "models root cannot be listed (it lists no models):", e);
            }
        }
        return out;
    }
}
