package dev.sdserve.cli.bench;

import java.util.Locale;
import java.util.Map;

/** bench.md: the configurations as a table, then the per-stage costs and the targets. */
final class BenchMarkdown {
    private BenchMarkdown() {
    }

    static String of(BenchResults r) {
        BenchSettings s = r.settings();
        StringBuilder md = new StringBuilder();
        md.append(f("# sd bench: %s at %dx%d, %d PNDM (PLMS) steps, CFG %s%n%n", s.model().name(),
                s.generation().width(), s.generation().height(), s.generation().steps(), num(s.generation().guidance())));
        md.append(f("Machine: %s, %d cores; ONNX Runtime %s with %d intra-op threads (spinning %s), graph optimisation %s; "
                        + "Java %s. Load average %.2f at the start, %.2f at the end. The whole run took %.0f s.%n%n",
                Machine.cpu(), Machine.cores(), s.runtime().executionProvider().id(), s.threads(),
                s.runtime().allowSpinning() ? "on" : "off", s.runtime().optimizationLevel(), System.getProperty("java.version"), r.load()[0], r.load()[1],
                r.elapsedSeconds()));
        md.append("Method: ").append(BenchJson.method(s.repeats())).append(". Speedups are the baseline's time over the"
                + " configuration's, measured side by side in this run; PSNR compares each image with the baseline"
                + " image (8-bit RGB). \"load after\" is the 1-minute load average when the run ended: above the core"
                + " count, other processes competed for the CPU, and ratios between runs at different loads are distorted.\n\n");
        configurations(md, r);
        costs(md, r);
        memory(md, r);
        targets(md, r);
        OpProfileMarkdown.append(md, r);
        return md.toString();
    }

    private static void configurations(StringBuilder md, BenchResults r) {
        md.append("| configuration | UNet calls full / shallow | loop s, median (range) | end-to-end s, median (range) | UNet-loop speedup"
                + " | end-to-end speedup | loop speedup from per-call costs | MAC ceiling (% reached) | PSNR vs baseline"
                + " | load after |\n|---|---|---|---|---|---|---|---|---|---|\n");
        RunResult base = r.baseline();
        row(md, r, BenchCase.BASELINE, BenchCase.baseline().label(), base, 1, 1, "1.00x", "—", "—");
        Map<String, Double> loop = r.unetLoopSpeedup();
        Map<String, Double> e2e = r.deepCacheSpeedup();
        Map<String, Double> psnr = r.psnrDb();
        Map<String, Double> perCall = r.unetLoopSpeedupFromCallCosts();
        Map<String, Double> ceiling = r.macCeiling();
        Map<String, Double> reached = r.fractionOfMacCeiling();
        for (BenchCase c : r.cases()) {
            row(md, r, c.key(), c.label(), r.inProcess().get(c.key()), loop.get(c.key()), e2e.get(c.key()),
                    f("%.2fx", perCall.get(c.key())),
                    f("%.2fx (%.0f%%)", ceiling.get(c.key()), 100 * reached.get(c.key())), f("%.1f dB", psnr.get(c.key())));
        }
        r.split().ifPresent(sp -> row(md, r, Benchmark.SPLIT, "four services (split), " + BenchCase.split().label(), sp,
                base.loopMs() / sp.loopMs(), base.totalMs() / sp.totalMs(), "—", "—",
                f("%.1f dB (vs in-process: %.1f dB)", Psnr.db(sp.image(), base.image()),
                        Psnr.db(sp.image(), r.inProcess().get(BenchCase.split().key()).image()))));
        md.append('\n');
    }

    private static void row(StringBuilder md, BenchResults r, String key, String label, RunResult run, double loop,
                            double e2e, String perCall, String ceiling, String psnr) {
        md.append(f("| %s | %d / %d | %s | %s | %.2fx | %.2fx | %s | %s | %s | %.1f |%n", label,
                run.steps().fullCalls(), run.steps().shallowCalls(), seconds(r.loopSpread(key)),
                seconds(r.totalSpread(key)), loop, e2e, perCall, ceiling, psnr, run.load()));
    }

    /** A median in seconds, with the range when there were several runs. */
    private static String seconds(BenchResults.Spread s) {
        return s.min() == s.max() ? f("%.1f", s.median() / 1e3)
                : f("%.1f (%.1f–%.1f)", s.median() / 1e3, s.min() / 1e3, s.max() / 1e3);
    }

    private static void memory(StringBuilder md, BenchResults r) {
        if (r.peakRss().isEmpty()) return;
        md.append("| service (split run) | peak resident memory (VmHWM) |\n|---|---|\n");
        r.peakRss().forEach((service, bytes) -> md.append(f("| %s | %s |%n", service,
                bytes < 0 ? "not reported" : f("%.2f GiB", bytes / (double) (1L << 30)))));
        md.append('\n');
    }

    private static void costs(StringBuilder md, BenchResults r) {
        md.append("| stage cost | value |\n|---|---|\n");
        for (int branch : r.macs().keySet()) {
            md.append(f("| shallow / full UNet call, branch %d | %.3f of the time (%.1f / %.1f ms), %.3f of the MACs |%n",
                    branch, r.shallowOverFullTime(branch), r.meanShallowMs(branch), r.meanFullMs(branch),
                    r.shallowOverFullMacs(branch)));
        }
        md.append(f("| full UNet call, batch %d | %.0f ms, %.1f GFLOP/s = %.0f%% of the fp32 GEMM peak |%n",
                r.settings().generation().unetBatch(), r.meanFullMs(0), r.fullStepGflops(),
                100 * r.fullStepGflops() / r.gemmPeakGflops()));
        r.profiles().stream().filter(p -> p.graph().equals("vae_decoder")).findFirst().ifPresent(p -> md.append(f(
                "| VAE decode, one image | %.0f ms (ORT run, op profile), %.1f GMACs, %.1f GFLOP/s = %.0f%% of the fp32"
                        + " GEMM peak |%n", p.runMs(), r.vaeDecoderMacs() / 1e9, r.profileGflops(p),
                100 * r.profileGflops(p) / r.gemmPeakGflops())));
        md.append(f("| fp32 GEMM peak (ORT MatMul %d x %d) | %.1f GFLOP/s |%n", r.settings().gemmSide(),
                r.settings().gemmSide(), r.gemmPeakGflops()));
        md.append(f("| overhead per UNet call outside ORT run (in-process) | %.3f ms |%n", r.overheadMsPerStep()));
        r.splitOverInProcess().ifPresent(v -> md.append(f("| split over in-process, end to end (%s) | %.3f |%n",
                BenchCase.split().label(), v)));
        r.split().ifPresent(sp -> md.append(f("| gRPC transport per UNet call (split) | %.2f ms, %.2f%% of the split run |%n",
                sp.transportMs() / sp.steps().calls(), 100 * sp.transportMs() / sp.totalMs())));
        md.append('\n');
    }

    private static void targets(StringBuilder md, BenchResults r) {
        md.append("Targets (issue 10's, set for the full-size SD 1.5 UNet at 256x256; issue 16's MAC-ceiling fractions,"
                + " set for the full-size SDXL UNet at 256x256):\n\n");
        for (BenchResults.Target t : r.targets()) {
            md.append(f("- %s %s %s: %.3f, %s%n", t.metric(), t.comparison(), num(t.bound()), t.value(),
                    t.met() ? "met" : "**missed**"));
        }
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
