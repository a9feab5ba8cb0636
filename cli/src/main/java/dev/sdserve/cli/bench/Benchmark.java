package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.pipeline.CacheParams;
import dev.sdserve.orchestrator.pipeline.InitialNoise;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.unet.graph.MacCounter;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Runs the whole comparison: the GEMM probe and MAC counts, then every configuration in-process (grouped by
 * UNet branch, one model load and one warm-up per branch), then the split configuration through the four
 * services (started before the in-process runs, idle until then). Branch 1 goes first so that the in-process and the split run of N=5 branch 0 are measured
 * back to back. Only one full-size UNet is in memory at any time.
 */
final class Benchmark {
    /** The warm-up: a short generation with N=2, so both the full and the shallow graph run before timing. */
    private static final int WARM_UP_STEPS = 3;

    private final BenchSettings settings;
    private final PrintWriter log;

    Benchmark(BenchSettings settings, PrintWriter log) {
        this.settings = settings;
        this.log = log;
    }

    BenchResults run() {
        long start = System.nanoTime();
        double loadAtStart = Machine.loadAverage();
        say("machine: %s; ORT threads %d; load average %.2f", Machine.describe(), settings.threads(), loadAtStart);
        double gemm = GemmPeak.gflops(settings.gemmSide(), settings.runtime());
        say("fp32 GEMM peak (MatMul %d^2): %.1f GFLOP/s", settings.gemmSide(), gemm);
        Map<Integer, MacCounter.Macs> macs = new TreeMap<>();
        for (int branch : settings.branches()) {
            macs.put(branch, UnetMacs.count(settings.model(), branch, settings.graphCacheDir(), latentSide()));
            say("branch %d: full %.2f GMACs, shallow %.3f GMACs per call at batch 1", branch,
                    macs.get(branch).full() / 1e9, macs.get(branch).shallow() / 1e9);
        }
        long vaeMacs = UnetMacs.vaeDecoder(settings.model(), latentSide());
        say("VAE decoder: %.2f GMACs per image", vaeMacs / 1e9);
        FloatTensor latents = InitialNoise.draw(settings.generation().seed(),
                new long[] {1, 4, settings.generation().latentHeight(), settings.generation().latentWidth()});
        Map<String, List<RunResult>> runs = new LinkedHashMap<>();
        Map<String, Long> peakRss = Map.of();
        // The services start first and idle (they load models on first use): a failed start then costs seconds,
        // not the whole run, and a rebuild of their jars during the run cannot break them.
        try (ServiceProcesses services = settings.split() ? startServices() : null) {
            List<Integer> branches = new java.util.ArrayList<>(settings.branches());
            java.util.Collections.reverse(branches); // branch 0 last: its N=5 run is next to the split run
            for (int branch : branches) inProcessBranch(branch, latents, runs);
            if (services != null) {
                runs.put(SPLIT, split(services, latents));
                peakRss = services.peakRss();
            }
        }
        List<OpProfile> profiles = settings.profileOps() ? profile(latents) : List.of();
        double elapsed = (System.nanoTime() - start) / 1e9;
        Map<String, RunResult> medians = new LinkedHashMap<>();
        runs.forEach((key, list) -> medians.put(key, median(list)));
        Optional<RunResult> split = Optional.ofNullable(medians.remove(SPLIT));
        return new BenchResults(settings, ordered(medians), split, runs, macs, vaeMacs, gemm,
                new double[] {loadAtStart, Machine.loadAverage()}, elapsed, profiles, peakRss);
    }

    /** The key of the split run's repetitions in {@link BenchResults#repetitions()}. */
    static final String SPLIT = "split";

    /** The run with the median loop time (the lower of the middle two for an even count). */
    static RunResult median(List<RunResult> runs) {
        List<RunResult> sorted = new java.util.ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingDouble(RunResult::loopMs));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /**
     * The op profile: each branch's graphs (and the text encoder and VAE decoder) run two short generations in
     * sessions with ONNX Runtime's profiler on; each session's trace is summed (its warm-up runs left out).
     */
    private List<OpProfile> profile(FloatTensor latents) {
        List<OpProfile> out = new java.util.ArrayList<>();
        for (int branch : settings.branches()) {
            java.nio.file.Path dir = settings.profileDir().resolve("branch" + branch);
            BenchSettings profiled = settings.withRuntime(settings.runtime().withProfiling(dir));
            say("op profile, branch %d: traces in %s", branch, dir);
            clearProfiles(dir);
            try (InProcessStages stages = new InProcessStages(profiled)) {
                InProcessRun runner = new InProcessRun(profiled, stages);
                for (int i = 0; i < 2; i++) runner.run(warmUp(branch), latents, PROFILE_STEPS);
            }
            for (OpProfile p : OpProfile.readAll(dir, branch)) {
                if (branch != 0 && !p.graph().startsWith("unet")) continue; // once is enough for the other stages
                say("%s", p);
                out.add(p);
            }
        }
        return out;
    }

    /** Removes an earlier run's traces, which would otherwise be read as this run's. */
    private static void clearProfiles(java.nio.file.Path dir) {
        if (!java.nio.file.Files.isDirectory(dir)) return;
        try (java.util.stream.Stream<java.nio.file.Path> old = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path p : old.filter(f -> f.toString().endsWith(".json")).toList()) java.nio.file.Files.delete(p);
        } catch (java.io.IOException e) {
            throw new dev.sdserve.runtime.SdException(dev.sdserve.runtime.SdException.Kind.FAILED_PRECONDITION,
                    "cannot clear " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Steps of each profiled generation (N=2: about half the calls full, half shallow). */
    private static final int PROFILE_STEPS = 5;

    private ServiceProcesses startServices() {
        say("starting the four services (logs in %s)", settings.workDir());
        return ServiceProcesses.start(settings);
    }

    /** Warms the branch's graphs up, then times its configurations round-robin, {@code repeats} rounds. */
    private void inProcessBranch(int branch, FloatTensor latents, Map<String, List<RunResult>> out) {
        try (InProcessStages stages = new InProcessStages(settings)) {
            InProcessRun runner = new InProcessRun(settings, stages);
            say("in-process, branch %d: loading and warming up", branch);
            runner.run(warmUp(branch), latents, WARM_UP_STEPS);
            for (int round = 1; round <= settings.repeats(); round++) {
                for (BenchCase c : casesOf(branch)) {
                    out.computeIfAbsent(c.key(), k -> new java.util.ArrayList<>()).add(report(
                            f("in-process %s [%d/%d]", c.label(), round, settings.repeats()),
                            runner.run(c, latents, settings.generation().steps())));
                }
            }
        }
    }

    private List<RunResult> split(ServiceProcesses services, FloatTensor latents) {
        try (SplitRun runner = new SplitRun(settings, services.port(ServiceProcesses.ORCHESTRATOR))) {
            say("split: warming up");
            runner.run(warmUp(BenchCase.split().branch()), latents, WARM_UP_STEPS);
            List<RunResult> out = new java.util.ArrayList<>();
            for (int round = 1; round <= settings.repeats(); round++) {
                out.add(report(f("split %s [%d/%d]", BenchCase.split().label(), round, settings.repeats()),
                        runner.run(BenchCase.split(), latents, settings.generation().steps())));
            }
            return out;
        }
    }

    /** The baseline first (it runs on branch 0's graphs), then the branch's DeepCache configurations, N=5 last. */
    private List<BenchCase> casesOf(int branch) {
        List<BenchCase> out = new java.util.ArrayList<>();
        if (branch == 0) out.add(BenchCase.baseline());
        for (BenchCase c : settings.cases()) if (c.branch() == branch && !c.equals(BenchCase.split())) out.add(c);
        if (branch == BenchCase.split().branch() && settings.cases().contains(BenchCase.split())) out.add(BenchCase.split());
        return out;
    }

    private static BenchCase warmUp(int branch) {
        return new BenchCase("warm-up", "warm-up", CacheParams.uniform(2, branch));
    }

    /** The runs in report order: baseline, then the selected {@link BenchCase#deepCache()}. */
    private Map<String, RunResult> ordered(Map<String, RunResult> runs) {
        Map<String, RunResult> out = new LinkedHashMap<>();
        out.put(BenchCase.BASELINE, runs.get(BenchCase.BASELINE));
        for (BenchCase c : settings.cases()) if (runs.containsKey(c.key())) out.put(c.key(), runs.get(c.key()));
        return out;
    }

    /** MACs depend on h*w only: a non-square size is counted at the square of the same area (exact when h*w is a square). */
    private int latentSide() {
        return (int) Math.round(Math.sqrt((double) settings.generation().latentHeight() * settings.generation().latentWidth()));
    }

    private RunResult report(String what, RunResult measured) {
        RunResult r = measured.withLoad(Machine.loadAverage());
        say("%-48s %6.1f s end to end, loop %6.1f s (%d full + %d shallow UNet calls), load %.2f%s", what,
                r.totalMs() / 1e3, r.loopMs() / 1e3, r.steps().fullCalls(), r.steps().shallowCalls(), r.load(),
                Double.isNaN(r.transportMs()) ? "" : f(", gRPC transport %.2f ms per UNet call",
                        r.transportMs() / r.steps().calls()));
        return r;
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private void say(String format, Object... args) {
        log.println("bench: " + String.format(Locale.ROOT, format, args));
        log.flush();
    }
}
