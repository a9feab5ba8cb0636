package dev.sdserve.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** bench.md's op-level profile: one column per profiled graph, by category, by UNet block and by op type. */
final class OpProfileMarkdown {
    /** Op types and blocks below this share of every graph's kernel time are folded into "the rest". */
    private static final double MIN_SHARE = 0.01;

    private OpProfileMarkdown() {
    }

    static void append(StringBuilder md, BenchResults r) {
        if (r.profiles().isEmpty()) return;
        md.append("\n## Op-level profile\n\nONNX Runtime's profiler on separate sessions after the timed runs (two"
                + " short N=2 generations per branch; each session's first run, and its second when four or more ran,"
                + " left out), in ms per call at the timed runs' batch. \"kernels\" sums the nodes' kernel times; the"
                + " rest of a run is the executor's own. Categories and blocks name the graph's module paths after ONNX Runtime's fusions (layout reorders it"
                + " inserts have none).\n\n");
        tables(md, r.profiles(), r::profileGflops, r.gemmPeakGflops());
    }

    /** The tables for {@code all}; {@code gflops} gives a graph's rate (NaN: not counted), against {@code peak}. */
    static void tables(StringBuilder md, List<OpProfile> all, java.util.function.ToDoubleFunction<OpProfile> gflops,
                       double peak) {
        if (all.isEmpty()) return;
        header(md, "per call", all);
        line(md, "ORT run, ms", all, p -> f("%.1f", p.runMs()));
        line(md, "kernels, ms", all, p -> f("%.1f", p.kernelMs()));
        line(md, "runs profiled", all, p -> Integer.toString(p.runs()));
        if (all.stream().anyMatch(p -> !Double.isNaN(gflops.applyAsDouble(p)))) {
            line(md, "GFLOP/s (% of GEMM peak)", all, p -> Double.isNaN(gflops.applyAsDouble(p)) ? "—"
                    : f("%.1f (%.0f%%)", gflops.applyAsDouble(p), 100 * gflops.applyAsDouble(p) / peak));
        }
        for (OpProfile.Category c : OpProfile.Category.values()) {
            line(md, c.label, all, p -> share(p.byCategory().getOrDefault(c, 0.0), p.kernelMs()));
        }
        md.append('\n');
        List<OpProfile> unet = all.stream().filter(p -> p.graph().startsWith("unet")).toList();
        if (!unet.isEmpty()) {
            header(md, "UNet block", unet);
            table(md, unet, OpProfile::byBlock);
        }
        header(md, "op type", all);
        table(md, all, OpProfile::byOp);
    }

    private static void table(StringBuilder md, List<OpProfile> graphs, Function<OpProfile, Map<String, Double>> by) {
        Set<String> keys = new LinkedHashSet<>();
        for (OpProfile p : graphs) {
            by.apply(p).forEach((k, ms) -> {
                if (ms >= MIN_SHARE * p.kernelMs()) keys.add(k);
            });
        }
        for (String k : keys) line(md, k, graphs, p -> share(by.apply(p).getOrDefault(k, 0.0), p.kernelMs()));
        line(md, "the rest", graphs, p -> {
            double rest = p.kernelMs();
            for (String k : keys) rest -= by.apply(p).getOrDefault(k, 0.0);
            return share(rest, p.kernelMs());
        });
        md.append('\n');
    }

    private static void header(StringBuilder md, String first, List<OpProfile> graphs) {
        List<String> cells = new ArrayList<>(List.of(first));
        graphs.forEach(p -> cells.add(p.graph()));
        md.append("| ").append(String.join(" | ", cells)).append(" |\n|");
        md.append("---|".repeat(cells.size())).append('\n');
    }

    private static void line(StringBuilder md, String label, List<OpProfile> graphs, Function<OpProfile, String> cell) {
        md.append("| ").append(label);
        for (OpProfile p : graphs) md.append(" | ").append(cell.apply(p));
        md.append(" |\n");
    }

    private static String share(double ms, double total) {
        return ms <= 0 ? "—" : f("%.1f (%.0f%%)", ms, 100 * ms / total);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
