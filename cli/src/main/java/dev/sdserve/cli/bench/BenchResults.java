package dev.sdserve.cli.bench;

import dev.sdserve.unet.graph.MacCounter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The raw measurements of one benchmark run and the ratios the report gives. Every ratio divides two runs
 * measured side by side in this one run, so that machine speed cancels out (noise does not).
 *
 * @param inProcess   the median timed in-process run (by loop time) of each {@link BenchCase#key()}, the baseline
 *                    included
 * @param split       the median split (four services) run of {@link BenchCase#split()}, when it ran
 * @param repetitions every timed run, by case key and {@link Benchmark#SPLIT}, in the order they ran
 * @param macs        MACs per call at batch 1 and the benchmark's size, by branch
 * @param vaeDecoderMacs MACs of one VAE decode at the benchmark's size
 * @param load        the 1-minute load average at the start and at the end
 * @param profiles    the op-level profile of each graph (empty with --no-op-profile)
 * @param peakRss     each service's peak resident memory in the split run, bytes (empty without it)
 */
record BenchResults(BenchSettings settings, Map<String, RunResult> inProcess, Optional<RunResult> split,
                    Map<String, List<RunResult>> repetitions, Map<Integer, MacCounter.Macs> macs, long vaeDecoderMacs,
                    double gemmPeakGflops, double[] load, double elapsedSeconds, List<OpProfile> profiles,
                    Map<String, Long> peakRss) {

    /** Median, smallest and largest of one figure over a configuration's repetitions. */
    record Spread(double median, double min, double max) {
        static Spread of(List<RunResult> runs, java.util.function.ToDoubleFunction<RunResult> f) {
            double[] v = runs.stream().mapToDouble(f).sorted().toArray();
            int n = v.length;
            double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
            return new Spread(median, v[0], v[n - 1]);
        }

        /** The range as a fraction of the median: how far apart the repetitions were. */
        double relativeRange() {
            return (max - min) / median;
        }
    }

    Spread loopSpread(String key) {
        return Spread.of(repetitions.get(key), RunResult::loopMs);
    }

    Spread totalSpread(String key) {
        return Spread.of(repetitions.get(key), RunResult::totalMs);
    }

    /**
     * GFLOP/s of a profiled graph from its mean ONNX Runtime run time: the UNet graphs at the CFG batch, the VAE
     * decoder at one image; NaN for a graph whose MACs are not counted (the text encoders).
     */
    double profileGflops(OpProfile p) {
        long m;
        int batch = settings.generation().unetBatch();
        if (p.graph().startsWith("unet full")) {
            m = macs.get(0).full() * batch;
        } else if (p.graph().startsWith("unet shallow b")) {
            m = macs.get(Integer.parseInt(p.graph().substring("unet shallow b".length()))).shallow() * batch;
        } else if (p.graph().equals("vae_decoder")) {
            m = vaeDecoderMacs;
        } else {
            return Double.NaN;
        }
        return 2.0 * m / (p.runMs() / 1e3) / 1e9;
    }

    /** One target of the issue, checked against this run. */
    record Target(String metric, String comparison, double bound, double value) {
        boolean met() {
            return comparison.equals(">=") ? value >= bound : value <= bound;
        }
    }

    /** The DeepCache configurations this run timed, in report order. */
    List<BenchCase> cases() {
        return BenchCase.deepCache().stream().filter(c -> inProcess.containsKey(c.key())).toList();
    }

    RunResult baseline() {
        return inProcess.get(BenchCase.BASELINE);
    }

    /** Baseline end-to-end time over each configuration's (prompts in, PNG out). */
    Map<String, Double> deepCacheSpeedup() {
        return perCase(r -> baseline().totalMs() / r.totalMs());
    }

    /** Baseline denoising-loop time over each configuration's. */
    Map<String, Double> unetLoopSpeedup() {
        return perCase(r -> baseline().loopMs() / r.loopMs());
    }

    /**
     * The loop speedup again, from per-call costs measured inside each configuration's own run: the baseline's
     * call count at that run's mean full-call time, over that run's ONNX Runtime time. Load that changes
     * between runs cancels out (load that changes within a run does not); a cross-check on a shared machine.
     */
    Map<String, Double> unetLoopSpeedupFromCallCosts() {
        return perCase(r -> baseline().steps().calls() * r.steps().meanFullMs() / r.steps().runMs());
    }

    /**
     * The loop speedup the MACs allow: a configuration's calls over its full calls plus its shallow calls weighted
     * by its branch's shallow/full MAC ratio, {@code calls / (full + shallow × ratio)}. Time that does not scale
     * with MACs (memory traffic, per-call overhead) keeps the measured speedup below it.
     */
    Map<String, Double> macCeiling() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (BenchCase c : cases()) {
            StepLog.Counts n = inProcess.get(c.key()).steps();
            out.put(c.key(), macCeiling(n.fullCalls(), n.shallowCalls(), shallowOverFullMacs(c.branch())));
        }
        return out;
    }

    static double macCeiling(int fullCalls, int shallowCalls, double shallowOverFullMacs) {
        return (fullCalls + shallowCalls) / (fullCalls + shallowCalls * shallowOverFullMacs);
    }

    /** The loop speedup from per-call costs as a fraction of {@link #macCeiling()}. */
    Map<String, Double> fractionOfMacCeiling() {
        Map<String, Double> speedup = unetLoopSpeedupFromCallCosts();
        Map<String, Double> out = new LinkedHashMap<>();
        macCeiling().forEach((k, ceiling) -> out.put(k, speedup.get(k) / ceiling));
        return out;
    }

    /** Each configuration's image against the baseline image from the same latents. */
    Map<String, Double> psnrDb() {
        return perCase(r -> Psnr.db(r.image(), baseline().image()));
    }

    /** The split run's end-to-end time over the in-process run of the same configuration. */
    Optional<Double> splitOverInProcess() {
        return split.map(s -> s.totalMs() / inProcess.get(BenchCase.split().key()).totalMs());
    }

    /** Loop time outside ONNX Runtime's run calls per UNet call, pooled over every in-process run. */
    double overheadMsPerStep() {
        double outside = 0;
        int calls = 0;
        for (RunResult r : inProcess.values()) {
            outside += r.loopMs() - r.steps().runMs();
            calls += r.steps().calls();
        }
        return outside / calls;
    }

    /** Mean shallow over mean full ORT run time of a branch, pooled over its runs. */
    double shallowOverFullTime(int branch) {
        return meanShallowMs(branch) / meanFullMs(branch);
    }

    double shallowOverFullMacs(int branch) {
        MacCounter.Macs m = macs.get(branch);
        return (double) m.shallow() / m.full();
    }

    /** The rate of a full UNet call (branch 0 graphs, CFG batch): 2 MACs per flop over its mean run time. */
    double fullStepGflops() {
        return 2.0 * macs.get(0).full() * settings.generation().unetBatch() / (meanFullMs(0) / 1e3) / 1e9;
    }

    double meanFullMs(int branch) {
        double ms = 0;
        int n = 0;
        for (RunResult r : runsOf(branch)) {
            ms += r.steps().fullRunMs();
            n += r.steps().fullCalls();
        }
        return ms / n;
    }

    double meanShallowMs(int branch) {
        double ms = 0;
        int n = 0;
        for (RunResult r : runsOf(branch)) {
            ms += r.steps().shallowRunMs();
            n += r.steps().shallowCalls();
        }
        return n == 0 ? Double.NaN : ms / n;
    }

    /**
     * The issues' targets for the configurations that ran: issue 10's (set for the full-size SD 1.5 model at
     * 256x256) and issue 16's (full-size SDXL at 256x256: branch-0 N=3 and N=5 reach 95 % of the MAC ceiling).
     */
    List<Target> targets() {
        List<Target> out = new ArrayList<>();
        target(out, "unet_loop_speedup", "N5", ">=", 3.4, unetLoopSpeedup());
        target(out, "deepcache_speedup", "N5", ">=", 3.0, deepCacheSpeedup());
        target(out, "unet_loop_speedup", "N5_branch1", ">=", 2.5, unetLoopSpeedup());
        splitOverInProcess().ifPresent(v -> out.add(new Target("split_over_inprocess", "<=", 1.02, v)));
        out.add(new Target("overhead_ms_per_step", "<=", 1.0, overheadMsPerStep()));
        target(out, "fraction_of_mac_ceiling", "N3", ">=", 0.95, fractionOfMacCeiling());
        target(out, "fraction_of_mac_ceiling", "N5", ">=", 0.95, fractionOfMacCeiling());
        return out;
    }

    private static void target(List<Target> out, String metric, String key, String cmp, double bound,
                               Map<String, Double> values) {
        if (values.containsKey(key)) out.add(new Target(metric + "." + key, cmp, bound, values.get(key)));
    }

    private List<RunResult> runsOf(int branch) {
        List<RunResult> out = new ArrayList<>();
        if (branch == 0) out.add(baseline());
        for (BenchCase c : cases()) if (c.branch() == branch) out.add(inProcess.get(c.key()));
        return out;
    }

    private Map<String, Double> perCase(java.util.function.ToDoubleFunction<RunResult> f) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (BenchCase c : cases()) out.put(c.key(), f.applyAsDouble(inProcess.get(c.key())));
        return out;
    }
}
