package dev.sdserve.cli.k8s;

import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the sdserve chart is: {@code deploy/helm/sdserve} of the repository the command runs in (found from
 * the working directory upwards, then from the CLI jar's folder upwards, so edits to the chart show at once),
 * else the copy packaged in the CLI's jar ({@code helm/sdserve/}), unpacked into a temporary folder.
 */
public final class HelmChart {
    static final String REPO_PATH = "deploy/helm/sdserve";
    static final String RESOURCE = "helm/sdserve";

    private HelmChart() {
    }

    /** The chart folder of the repository holding {@code start}, if any. */
    public static java.util.Optional<Path> inRepository(Path start) {
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            Path chart = p.resolve(REPO_PATH);
            if (Files.isRegularFile(chart.resolve("Chart.yaml"))) return java.util.Optional.of(chart);
        }
        return java.util.Optional.empty();
    }

    /** The repository's chart, else the packaged one unpacked under a new temporary folder. */
    public static Path locate() {
        return inRepository(Path.of("")).or(HelmChart::besideTheJar).orElseGet(HelmChart::unpackResource);
    }

    private static java.util.Optional<Path> besideTheJar() {
        try {
            URI code = HelmChart.class.getProtectionDomain().getCodeSource().getLocation().toURI();
            return "file".equals(code.getScheme()) ? inRepository(Path.of(code)) : java.util.Optional.empty();
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return java.util.Optional.empty();
        }
    }

    /** Copies the chart packaged in the jar (or target/classes) to a new temporary folder, removed at exit. */
    public static Path unpackResource() {
        URL chartYaml = HelmChart.class.getClassLoader().getResource(RESOURCE + "/Chart.yaml");
        if (chartYaml == null) {
            throw SdException.notFound("chart: neither " + REPO_PATH + " above " + Path.of("").toAbsolutePath()
                    + " nor the packaged " + RESOURCE + " was found; pass --chart DIR");
        }
        try {
            Path target = Files.createTempDirectory("sdserve-chart").resolve("sdserve");
            URI uri = chartYaml.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    copyTree(fs.getPath("/" + RESOURCE), target);
                }
            } else {
                copyTree(Path.of(uri).getParent(), target);
            }
            deleteOnExit(target.getParent());
            return target;
        } catch (IOException | URISyntaxException e) {
            throw new UncheckedIOException(new IOException("cannot unpack the packaged chart: " + e.getMessage(), e));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }

    private static void deleteOnExit(Path dir) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder left behind is harmless
            }
        }));
    }
}
