package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.WarnOnce;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The folder of derived graphs, keyed by the source graph's sha256, the surgery version and (for shallow graphs) the
 * cache branch, so a restart reuses the work. Two kinds of entries:
 * <ul>
 *   <li>{@code <sha>-full-v<N>}: {@code full.onnx}, the source with the cut tensor of every branch the graph has as
 *   extra outputs, so one ONNX Runtime session serves every branch; {@code meta.json} lists the cuts;</li>
 *   <li>{@code <sha>-b<branch>-v<N>}: {@code shallow.onnx} and {@code meta.json} (cut, node and MAC counts).</li>
 * </ul>
 * For sources with embedded weights each entry holds one {@code weights.bin} its graph reads; for sources with
 * external weights the graphs keep referencing the source's weights file, read through ORT's external-initializer
 * folder setting, so multi-GB weights are never copied. Entries are built in a temporary folder and renamed into
 * place, so concurrent loaders never see half an entry.
 */
public final class DerivedGraphs {
    /** Bump when the surgery's output changes, so stale entries are not reused. */
    public static final int SURGERY_VERSION = 3;
    static final String WEIGHTS = "weights.bin";
    private static final Logger LOG = Logger.getLogger(DerivedGraphs.class);
    private static final AtomicLong SURGERIES = new AtomicLong();

    /** What an entry records about its graphs. */
    public record Meta(int branch, String cacheTensor, String concatNode, int fullNodes, int shallowNodes,
                       long fullMacs, long shallowMacs, int macLatentSide, boolean embeddedWeights,
                       String sourceSha256, int cacheBranches) {
    }

    /** The shared full graph's entry: the cut tensor of each branch it returns. */
    public record FullMeta(java.util.Map<Integer, String> cuts, int nodes, boolean embeddedWeights, String sourceSha256) {
    }

    /**
     * A ready branch: its shallow graph ({@code dir}), the full graph it shares with every other branch
     * ({@code fullDir}), and the folders holding each graph's external weights.
     */
    public record Entry(Path dir, Path fullDir, Path fullWeightsFolder, Path shallowWeightsFolder, Meta meta) {
        public Path full() {
            return fullDir.resolve("full.onnx");
        }

        public Path shallow() {
            return dir.resolve("shallow.onnx");
        }
    }

    /** Builds an entry's files into a fresh folder. */
    private interface Builder {
        void build(Path out) throws IOException;
    }

    private final Path root;

    public DerivedGraphs(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** How many surgeries this JVM has run (a reused entry runs none). */
    public static long surgeriesRun() {
        return SURGERIES.get();
    }

    /**
     * The configured folder, else {@code .sdserve-graphs} beside the source when that folder is writable, else
     * the per-user cache ({@code $XDG_CACHE_HOME/sdserve/graphs} or {@code ~/.cache/sdserve/graphs}).
     */
    public static DerivedGraphs forSource(Optional<Path> configured, Path unetDir) {
        if (configured.isPresent()) return new DerivedGraphs(configured.get().toAbsolutePath());
        Path beside = unetDir.resolve(".sdserve-graphs");
        if (Files.isDirectory(beside) ? writable(beside) : writable(unetDir)) {
            return new DerivedGraphs(beside);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new DerivedGraphs(base.resolve("sdserve").resolve("graphs"));
    }

    /**
     * Writable for us AND marked writable: root passes access(2) checks on read-only folders (CI's ../shared, many
     * mounted volumes are r-x for everyone), so the permission bits are consulted too and a folder without any
     * write bit is treated as read-only.
     */
    static boolean writable(Path dir) {
        if (!Files.isWritable(dir)) return false;
        try {
            return java.nio.file.Files.getPosixFilePermissions(dir).stream().anyMatch(p -> p.name().endsWith("_WRITE"));
        } catch (UnsupportedOperationException | java.io.IOException e) {
            WarnOnce.warn(LOG, dir, "cannot read the permission bits of (trusting that it is writable)", e);
            return true; // not a POSIX file system: trust isWritable
        }
    }

    /** The entry for {@code source} and {@code branch}, building its shallow graph and the shared full graph on first use. */
    public Entry obtain(Path source, int branch, Optional<String> explicitTensor, MacCounter.ProbeShape probe,
                        int nativeSide) {
        String sha = sha256(source);
        String suffix = "-v" + SURGERY_VERSION
                + explicitTensor.filter(s -> !s.isBlank()).map(s -> "-t" + sha256(s).substring(0, 12)).orElse("");
        // the branch first: a graph without this branch's cut fails here, with CutFinder's message
        Path dir = ready(root.resolve(sha.substring(0, 32) + "-b" + branch + suffix),
                out -> buildShallow(source, sha, branch, explicitTensor, probe, nativeSide, out));
        Path fullDir = ready(root.resolve(sha.substring(0, 32) + "-full" + suffix),
                out -> buildFull(source, sha, explicitTensor, out));
        return entry(source, dir, fullDir);
    }

    /** {@code dir} when its meta.json exists, else built through a temporary folder renamed into place. */
    private Path ready(Path dir, Builder builder) {
        if (Files.isRegularFile(dir.resolve("meta.json"))) {
            LOG.infof("derived graphs: reusing %s", dir);
            return dir;
        }
        Path tmp = root.resolve(dir.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            builder.build(tmp);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // another process (a second replica sharing the cache) renamed its copy first; rename(2) then
                // says "Directory not empty" as a plain FileSystemException
                if (!Files.isRegularFile(dir.resolve("meta.json"))) throw raced;
                LOG.infof("derived graphs: %s was built concurrently; using that one", dir);
            }
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot write derived graphs under " + root
                    + " (set sd.unet.graph-cache-dir to a writable folder): " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
        return dir;
    }

    private void buildFull(Path source, String sha, Optional<String> explicitTensor, Path out) throws IOException {
        long t0 = System.nanoTime();
        ModelProto model = parse(source);
        boolean embedded = !WeightsFile.usesExternalData(model);
        if (embedded) model = WeightsFile.externalize(model, out.resolve(WEIGHTS)); // the entry's own weights.bin
        GraphIndex index = new GraphIndex(model.getGraph());
        java.util.Map<Integer, String> cuts = new java.util.TreeMap<>();
        for (int b = 0; b < CutFinder.branches(index); b++) {
            try {
                cuts.put(b, CutFinder.find(index, b, explicitTensor).tensor());
            } catch (SdException noSuchBranch) {
                // this export has fewer up-blocks or is named otherwise: that branch is not served
            }
        }
        ModelProto full = GraphSurgery.full(model, index, new java.util.LinkedHashSet<>(cuts.values()));
        Files.write(out.resolve("full.onnx"), full.toByteArray());
        SURGERIES.incrementAndGet();
        FullMeta meta = new FullMeta(cuts, full.getGraph().getNodeCount(), embedded, sha);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("meta.json").toFile(), meta);
        LOG.infof("derived graphs: full graph with the cut tensors of branches %s in %.0f ms", cuts.keySet(),
                (System.nanoTime() - t0) / 1e6);
    }

    private void buildShallow(Path source, String sha, int branch, Optional<String> explicitTensor,
                              MacCounter.ProbeShape probe, int nativeSide, Path out) throws IOException {
        long t0 = System.nanoTime();
        ModelProto model = parse(source);
        boolean embedded = !WeightsFile.usesExternalData(model);
        if (embedded) model = WeightsFile.externalize(model, out.resolve(WEIGHTS)); // the entry's own weights.bin
        GraphIndex index = new GraphIndex(model.getGraph());
        CutFinder.Cut cut = CutFinder.find(index, branch, explicitTensor);
        ModelProto full = GraphSurgery.full(model, index, cut.tensor()); // for counting only
        ModelProto shallow = GraphSurgery.shallow(model, index, cut.tensor());
        Files.write(out.resolve("shallow.onnx"), shallow.toByteArray());
        SURGERIES.incrementAndGet();
        Set<String> shallowKeys = new HashSet<>();
        for (NodeProto n : shallow.getGraph().getNodeList()) shallowKeys.add(GraphIndex.keyOf(n));
        long t1 = System.nanoTime();
        MacCounter.Macs macs = MacCounter.count(full, embedded ? out : source.getParent(), shallowKeys, probe, nativeSide);
        Meta meta = new Meta(branch, cut.tensor(), cut.concatNode(), full.getGraph().getNodeCount(),
                shallow.getGraph().getNodeCount(), macs.full(), macs.shallow(), nativeSide, embedded, sha,
                CutFinder.branches(index));
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("meta.json").toFile(), meta);
        LOG.infof("derived graphs: cut %s for branch %d in %.0f ms (%d -> %d nodes), MACs counted in %.0f ms",
                cut.tensor(), branch, (t1 - t0) / 1e6, meta.fullNodes(), meta.shallowNodes(), (System.nanoTime() - t1) / 1e6);
    }

    private static Entry entry(Path source, Path dir, Path fullDir) {
        Meta meta = read(dir, Meta.class);
        FullMeta full = read(fullDir, FullMeta.class);
        SdException.require(full.cuts().containsValue(meta.cacheTensor()), "derived graphs: " + fullDir
                + " does not return " + meta.cacheTensor() + "; delete the folder to rebuild it");
        return new Entry(dir, fullDir, full.embeddedWeights() ? fullDir : source.getParent(),
                meta.embeddedWeights() ? dir : source.getParent(), meta);
    }

    private static <T> T read(Path dir, Class<T> type) {
        try {
            return Json.MAPPER.readValue(dir.resolve("meta.json").toFile(), type);
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "unreadable " + dir.resolve("meta.json")
                    + "; delete the folder to rebuild it: " + e.getMessage(), e);
        }
    }

    /** Parses the graph; external weights stay references, so this reads only model.onnx itself. */
    public static ModelProto parse(Path source) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(source), 1 << 20)) {
            return ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot parse ONNX model " + source
                    + ": " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warnf("cannot remove %s: %s", dir, e.getMessage());
        }
    }
}
