package dev.sdserve.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX Runtime profile (the Chrome-trace JSON a session with profiling on writes when it ends), summed per
 * run: the {@code model_run} time, and the node kernels' time by op type, by UNet block and by
 * {@link Category}. The session's first runs are left out ({@link #warmUpRuns}).
 *
 * @param graph     which graph the profile is of (e.g. {@code full}, {@code shallow b0}, {@code vae_decoder})
 * @param runs      runs summed (after leaving out the first)
 * @param runMs     mean {@code model_run} time per run, ms
 * @param kernelMs  mean sum of the node kernels' times per run, ms; the rest of runMs is the executor's own
 * @param byOp      kernel ms per run by ORT op type (after ORT's fusions: FusedConv, NchwcConv, FusedMatMul …)
 * @param byBlock   kernel ms per run by the module path's first two parts ({@code up_blocks.3/attentions});
 *                  nodes ORT added without a module path (layout reorders) are {@code (added by ORT)}
 * @param byCategory kernel ms per run by {@link Category}
 */
record OpProfile(String graph, int runs, double runMs, double kernelMs, Map<String, Double> byOp,
                 Map<String, Double> byBlock, Map<Category, Double> byCategory) {

    /** What an op does, in the terms the README's profile table uses. */
    enum Category {
        CONV("convolution"),
        ATTENTION_MATMUL("attention MatMul (QK^T, AV)"),
        LINEAR("linear MatMul/Gemm (projections, feed-forward, time embedding)"),
        SOFTMAX("Softmax"),
        NORM("normalisation (GroupNorm, LayerNorm)"),
        ELEMENTWISE("elementwise (Add, Mul, activations, Cast)"),
        MEMORY("memory (Reshape, Transpose, Concat, Slice, layout reorders, Resize)"),
        OTHER("other");

        final String label;

        Category(String label) {
            this.label = label;
        }
    }

    private static final Set<String> CONV = Set.of("Conv", "FusedConv", "NchwcConv", "ConvTranspose", "QLinearConv");
    private static final Set<String> MATMUL = Set.of("MatMul", "FusedMatMul", "Gemm", "FusedGemm", "MatMulNBits");
    private static final Set<String> NORM = Set.of("InstanceNormalization", "GroupNorm", "GroupNormalization",
            "LayerNormalization", "SkipLayerNormalization", "SimplifiedLayerNormalization", "ReduceMean",
            "BatchNormalization");
    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Sigmoid",
            "Erf", "Gelu", "BiasGelu", "FastGelu", "QuickGelu", "Tanh", "Relu", "Exp", "Sin", "Cos", "Cast",
            "Where", "Neg", "Clip", "Equal", "Not", "Less", "Greater", "BiasAdd", "SkipGroupNorm", "Sum", "Min", "Max",
            "Softplus", "Mish");
    private static final Set<String> MEMORY = Set.of("Reshape", "Transpose", "Concat", "Split", "Slice", "Gather",
            "Expand", "Unsqueeze", "Squeeze", "Shape", "Identity", "ReorderInput", "ReorderOutput", "Resize",
            "Upsample", "Flatten", "Tile", "Pad", "ConstantOfShape", "Range", "MemcpyFromHost", "MemcpyToHost",
            "DepthToSpace", "SpaceToDepth");

    static Category category(String op, String node) {
        if (CONV.contains(op)) return Category.CONV;
        if (MATMUL.contains(op)) return isAttentionProduct(node) ? Category.ATTENTION_MATMUL : Category.LINEAR;
        if (op.equals("Softmax")) return Category.SOFTMAX;
        if (NORM.contains(op)) return Category.NORM;
        if (ELEMENTWISE.contains(op)) return Category.ELEMENTWISE;
        if (MEMORY.contains(op)) return Category.MEMORY;
        return Category.OTHER;
    }

    /**
     * The attention's two activation-by-activation products: in diffusers' and the forge's exports they are the
     * MatMuls directly in the attention module ({@code attn1}, {@code attn2}, the VAE's {@code attentions.0},
     * CLIP's {@code self_attn}); its projections sit one level down ({@code to_q} … {@code to_out.0}).
     */
    static boolean isAttentionProduct(String node) {
        String[] parts = unfused(node).split("/");
        if (parts.length < 2) return false;
        String parent = parts[parts.length - 2];
        return parent.equals("attn1") || parent.equals("attn2") || parent.equals("self_attn")
                || parent.startsWith("attentions.");
    }

    /**
     * The name a node had before ONNX Runtime fused it: fusions append their own segments
     * ({@code …/attn1/MatMul/MatMulScaleFusion/}), which are dropped here.
     */
    static String unfused(String node) {
        String out = node.endsWith("/") ? node.substring(0, node.length() - 1) : node;
        while (out.matches(".*/[A-Za-z0-9]*Fusion$")) out = out.substring(0, out.lastIndexOf('/'));
        return out;
    }

    /** The module a node belongs to, at block level: {@code down_blocks.1/resnets}, {@code mid_block/attentions}, {@code conv_in}. */
    static String block(String node) {
        if (!node.startsWith("/")) return "(added by ORT)";
        String[] parts = node.substring(1).split("/");
        if (parts.length <= 1) return "(graph level)";
        String top = parts[0];
        if (parts.length > 2 && (top.contains("blocks") || top.equals("mid_block") || top.equals("encoder")
                || top.equals("decoder"))) {
            String second = parts[1].replaceFirst("\\.\\d+$", "");
            if (top.equals("encoder") || top.equals("decoder")) {
                return parts.length > 3 && parts[1].contains("block") ? top + "/" + parts[1] : top + "/" + second;
            }
            return top + "/" + second;
        }
        return top;
    }

    /**
     * Every profile in {@code dir} (one folder per branch), named after its graph: {@code unet full (branch b)}
     * for the full graph while branch b's tensor is taken from it, {@code unet shallow b<n>}, {@code text_encoder},
     * {@code vae_decoder}. The file names come from {@code OrtSessions}' profile prefix (folder and file name of
     * the graph), so the full graph is {@code <hash>-full-full_<time>.json}.
     */
    static List<OpProfile> readAll(Path dir, int branch) {
        List<OpProfile> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(read(f, graphName(f.getFileName().toString(), branch)));
            }
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot list ONNX Runtime profiles in " + dir
                    + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(OpProfile::graph));
        return out;
    }

    static String graphName(String file, int branch) {
        String stem = file.replaceFirst("_\\d{4}-\\d\\d-\\d\\d_[0-9_-]+\\.json$", "").replaceFirst("\\.json$", "");
        java.util.regex.Matcher shallow = java.util.regex.Pattern.compile("-b(\\d+)(-[^-]+)?-shallow$").matcher(stem);
        if (shallow.find()) return "unet shallow b" + shallow.group(1);
        if (stem.matches(".*-full(-[^-]+)?-full$")) return "unet full (branch " + branch + ")";
        return stem.endsWith("-model") ? stem.substring(0, stem.length() - "-model".length()) : stem;
    }

    /** Reads the profile at {@code file}. */
    static OpProfile read(Path file, String graph) {
        JsonNode events;
        try {
            events = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot read ONNX Runtime profile " + file
                    + ": " + e.getMessage(), e);
        }
        return of(events, graph);
    }

    /**
     * The runs left out at the start of a session: the first (it fills the arena) and, when at least two runs remain
     * after it, the second as well: ONNX Runtime plans one memory block from the first run's allocations and
     * allocates it on the second, which at 512×512 (1 GiB attention scores) costs several times a steady run in page
     * faults.
     */
    static int warmUpRuns(int runs) {
        return runs >= 4 ? 2 : runs > 1 ? 1 : 0;
    }

    /** Sums the events of one profile (a JSON array of trace events). */
    static OpProfile of(JsonNode events, String graph) {
        List<long[]> runs = new ArrayList<>(); // {start µs, end µs}
        for (JsonNode e : events) {
            if (e.path("cat").asText().equals("Session") && e.path("name").asText().equals("model_run")) {
                long ts = e.path("ts").asLong();
                runs.add(new long[] {ts, ts + e.path("dur").asLong()});
            }
        }
        runs.sort((a, b) -> Long.compare(a[0], b[0]));
        int skip = warmUpRuns(runs.size());
        int counted = runs.size() - skip;
        double runUs = 0;
        for (int i = skip; i < runs.size(); i++) runUs += runs.get(i)[1] - runs.get(i)[0];
        long countFrom = skip > 0 ? runs.get(skip)[0] : Long.MIN_VALUE;
        Map<String, Double> byOp = new LinkedHashMap<>();
        Map<String, Double> byBlock = new LinkedHashMap<>();
        Map<Category, Double> byCategory = new LinkedHashMap<>();
        double kernelUs = 0;
        for (JsonNode e : events) {
            String name = e.path("name").asText();
            if (!e.path("cat").asText().equals("Node") || !name.endsWith("_kernel_time")) continue;
            if (e.path("ts").asLong() < countFrom) continue;
            String node = name.substring(0, name.length() - "_kernel_time".length());
            String op = e.path("args").path("op_name").asText("?");
            double us = e.path("dur").asDouble();
            kernelUs += us;
            byOp.merge(op, us, Double::sum);
            byBlock.merge(block(node), us, Double::sum);
            byCategory.merge(category(op, node), us, Double::sum);
        }
        double perRunMs = counted == 0 ? Double.NaN : 1e-3 / counted;
        return new OpProfile(graph, counted, runUs * perRunMs, kernelUs * perRunMs, scaled(byOp, perRunMs),
                scaled(byBlock, perRunMs), scaled(byCategory, perRunMs));
    }

    private static <K> Map<K, Double> scaled(Map<K, Double> us, double factor) {
        Map<K, Double> out = new LinkedHashMap<>();
        us.entrySet().stream().sorted(Map.Entry.<K, Double>comparingByValue().reversed())
                .forEach(e -> out.put(e.getKey(), e.getValue() * factor));
        return out;
    }

    /** The op types costing at least {@code minShare} of the kernels' time, largest first. */
    Map<String, Double> topOps(double minShare) {
        Map<String, Double> out = new LinkedHashMap<>();
        byOp.forEach((op, ms) -> {
            if (ms >= minShare * kernelMs) out.put(op, ms);
        });
        return out;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %d runs, %.1f ms per run (kernels %.1f ms)", graph, runs, runMs, kernelMs);
    }
}
