package dev.sdserve.forge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Forges a complete Stable Diffusion model folder in the diffusers/optimum ONNX layout — model_index.json,
 * scheduler/, tokenizer/, text_encoder/ (SDXL: also tokenizer_2/, text_encoder_2/), unet/, vae_decoder/,
 * vae_encoder/ — with SD's topology, the
 * TorchScript exporter's node names and random, seeded, PyTorch-default-initialised weights. Nothing is
 * downloaded; the same spec always gives the same bytes.
 *
 * <p>The folder is built beside {@code outDir} under a hidden name and moved into place at the end, so a model
 * root never shows a half-written model.
 */
public final class Forge {
    public static final String TEXT_ENCODER = "text_encoder";
    public static final String TEXT_ENCODER_2 = "text_encoder_2";
    public static final String UNET = "unet";
    public static final String VAE_ENCODER = "vae_encoder";
    public static final String VAE_DECODER = "vae_decoder";

    private Forge() {
    }

    /** Forges {@code spec} into {@code outDir} (absent or empty) with the default options. */
    public static ForgeResult forge(ForgeSpec spec, Path outDir) {
        return forge(spec, outDir, ForgeOptions.defaults());
    }

    public static ForgeResult forge(ForgeSpec spec, Path outDir, ForgeOptions options) {
        ModelDims dims = spec.dims();
        return write(dims, spec.seed(), outDir, options, provenance(spec.preset(), spec.scale(), spec.seed()));
    }

    /** Forges explicit sizes (for example the exact topology of a reference model). */
    public static ForgeResult forge(ModelDims dims, long seed, Path outDir, ForgeOptions options) {
        return write(dims, seed, outDir, options, provenance(dims.kind(), Double.NaN, seed));
    }

    /**
     * Forges {@code spec} into {@code outDir} unless that folder already holds a model; true when it forged. Two
     * processes racing to forge the same default model both succeed: the loser finds the winner's folder.
     */
    public static boolean forgeIfAbsent(ForgeSpec spec, Path outDir) {
        Path index = outDir.resolve("model_index.json");
        if (Files.isRegularFile(index)) return false;
        try {
            forge(spec, outDir);
            return true;
        } catch (UncheckedIOException | SdException e) {
            if (Files.isRegularFile(index)) return false;
            throw e;
        }
    }

    /** Parameter count of each part, from the graphs alone (nothing is written). */
    public static Map<String, Long> parameterCounts(ModelDims dims) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String part : parts(dims)) counts.put(part, graph(dims, part).weights().parameterCount());
        return counts;
    }

    /** The ONNX part folders of a pipeline, in the order they are written. */
    static List<String> parts(ModelDims dims) {
        return dims.sdxl() ? List.of(TEXT_ENCODER, TEXT_ENCODER_2, UNET, VAE_ENCODER, VAE_DECODER)
                : List.of(TEXT_ENCODER, UNET, VAE_ENCODER, VAE_DECODER);
    }

    private static Graph graph(ModelDims dims, String part) {
        return switch (part) {
            case TEXT_ENCODER -> TextEncoderGraph.build(dims.texts().get(0), part);
            case TEXT_ENCODER_2 -> TextEncoderGraph.build(dims.texts().get(1), part);
            case UNET -> UnetGraph.build(dims.unet());
            case VAE_ENCODER -> VaeGraphs.encoder(dims.vae());
            case VAE_DECODER -> VaeGraphs.decoder(dims.vae());
            default -> throw new IllegalArgumentException(part);
        };
    }

    private static ForgeResult write(ModelDims dims, long seed, Path outDir, ForgeOptions options, ObjectNode info) {
        long start = System.nanoTime();
        Path out = outDir.toAbsolutePath().normalize();
        requireEmpty(out);
        Path tmp = out.resolveSibling("." + out.getFileName() + ".forging-" + ProcessHandle.current().pid());
        try {
            deleteTree(tmp);
            Map<String, Long> params = new LinkedHashMap<>();
            long bytes = writeParts(dims, seed, tmp, options.externalDataThresholdBytes(), params);
            writeFolderFiles(dims, tmp, info, params);
            if (Files.isDirectory(out)) Files.delete(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return new ForgeResult(out, dims, params, bytes, Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("forging " + out + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Builds and writes one part at a time, so only one graph's specs are held. */
    private static long writeParts(ModelDims dims, long seed, Path dir, long threshold, Map<String, Long> params)
            throws IOException {
        long bytes = 0;
        for (String part : parts(dims)) {
            Graph g = graph(dims, part);
            params.put(part, g.weights().parameterCount());
            bytes += OnnxWriter.write(g, dir.resolve(part), seed, threshold);
        }
        return bytes;
    }

    private static void writeFolderFiles(ModelDims dims, Path dir, ObjectNode info, Map<String, Long> params)
            throws IOException {
        ClipVocabulary vocab = ClipVocabulary.forge();
        List<String> textParts = dims.sdxl() ? List.of(TEXT_ENCODER, TEXT_ENCODER_2) : List.of(TEXT_ENCODER);
        for (int i = 0; i < textParts.size(); i++) {
            ModelDims.Text text = dims.texts().get(i);
            // the tokenizer pads with "!" (id 0, SD2 and OpenCLIP) or <|endoftext|> (CLIP ViT-L)
            String pad = text.padId() == 0 ? "!" : ClipVocabulary.EOS;
            vocab.write(dir.resolve(i == 0 ? "tokenizer" : "tokenizer_2"), pad);
            ConfigFiles.writeJson(dir.resolve(textParts.get(i)).resolve("config.json"), ConfigFiles.textEncoder(text));
        }
        ConfigFiles.writeJson(dir.resolve("model_index.json"), ConfigFiles.modelIndex(dims));
        ConfigFiles.writeJson(dir.resolve("scheduler").resolve("scheduler_config.json"), ConfigFiles.scheduler(dims));
        ConfigFiles.writeJson(dir.resolve(UNET).resolve("config.json"), ConfigFiles.unet(dims.unet()));
        int imageSize = 8 * dims.unet().sampleSize();
        ConfigFiles.writeJson(dir.resolve(VAE_ENCODER).resolve("config.json"), ConfigFiles.vae(dims.vae(), imageSize));
        ConfigFiles.writeJson(dir.resolve(VAE_DECODER).resolve("config.json"), ConfigFiles.vae(dims.vae(), imageSize));
        ObjectNode counts = info.putObject("parameters");
        params.forEach(counts::put);
        ConfigFiles.writeJson(dir.resolve("forge.json"), info);
    }

    /** forge.json: how the folder was made, so a benchmark report can say what it ran. */
    private static ObjectNode provenance(String preset, double scale, long seed) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("generator", "sdserve-forge").put("preset", preset);
        if (Double.isNaN(scale)) n.putNull("scale");
        else n.put("scale", scale);
        n.put("seed", seed).put("weights", "random (PyTorch default init), not a trained model");
        return n;
    }

    private static void requireEmpty(Path out) {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw SdException.invalid("out: " + out + " exists and is not a folder");
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent()) {
                throw SdException.invalid("out: folder " + out + " is not empty; forge writes a new model folder");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            deleteTree(p);
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: the hidden folder is reported by the original error
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
