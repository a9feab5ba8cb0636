package dev.sdserve.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import java.util.Map;

/** bench.json: the ratios the issue asks for, the settings and machine, and every run's raw timings. */
final class BenchJson {
    /** How each configuration was timed, as the table states it too. */
    static String method(int repeats) {
        return (repeats == 1 ? "one timed run per configuration" : repeats + " timed runs per configuration, taken"
                + " round-robin over a branch's configurations; each figure is from the run with the median loop time,"
                + " and the times show the median (smallest-largest)") + ", after one warm-up generation per UNet"
                + " branch (and one for the services); all configurations start from the same initial latents";
    }

    private BenchJson() {
    }

    static ObjectNode of(BenchResults r) {
        BenchSettings s = r.settings();
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", s.model().name());
        root.put("height", s.generation().height());
        root.put("width", s.generation().width());
        root.put("steps", s.generation().steps());
        root.put("scheduler", "PNDM (PLMS, skip_prk_steps)");
        root.put("guidance", s.generation().guidance());
        root.put("cpu", Machine.cpu());
        root.put("cores", Machine.cores());
        root.put("threads", s.threads());
        root.put("allow_spinning", s.runtime().allowSpinning());
        root.put("java", System.getProperty("java.version"));
        root.putObject("load_average").put("start", r.load()[0]).put("end", r.load()[1]);
        root.put("method", method(s.repeats()));
        root.put("repeats", s.repeats());
        map(root.putObject("deepcache_speedup"), r.deepCacheSpeedup());
        map(root.putObject("unet_loop_speedup"), r.unetLoopSpeedup());
        map(root.putObject("unet_loop_speedup_from_call_costs"), r.unetLoopSpeedupFromCallCosts());
        map(root.putObject("mac_ceiling"), r.macCeiling());
        map(root.putObject("fraction_of_mac_ceiling"), r.fractionOfMacCeiling());
        map(root.putObject("psnr_db"), r.psnrDb());
        r.splitOverInProcess().ifPresentOrElse(v -> root.put("split_over_inprocess", v),
                () -> root.putNull("split_over_inprocess"));
        put(root, "overhead_ms_per_step", r.overheadMsPerStep());
        r.split().ifPresent(sp -> {
            root.put("split_transport_ms_per_step", sp.transportMs() / sp.steps().calls());
            // the split's own cost as a share of its run: unlike split_over_inprocess, immune to load drift
            root.put("split_transport_fraction", sp.transportMs() / sp.totalMs());
            root.put("split_psnr_db_vs_inprocess", Psnr.db(sp.image(), r.inProcess().get(BenchCase.split().key()).image()));
        });
        ObjectNode time = root.putObject("shallow_over_full_time");
        ObjectNode macs = root.putObject("shallow_over_full_macs");
        for (int branch : r.macs().keySet()) {
            put(time, "branch" + branch, r.shallowOverFullTime(branch));
            put(macs, "branch" + branch, r.shallowOverFullMacs(branch));
        }
        put(root, "full_step_gflops", r.fullStepGflops());
        root.put("full_step_gmacs_batch1", r.macs().get(0).full() / 1e9);
        root.put("gemm_peak_gflops", r.gemmPeakGflops());
        root.put("gemm_side", s.gemmSide());
        root.put("elapsed_s", r.elapsedSeconds());
        ObjectNode runs = root.putObject("runs");
        r.inProcess().forEach((key, run) -> run(runs.putObject(key), run));
        r.split().ifPresent(sp -> run(runs.putObject("split_" + BenchCase.split().key()), sp));
        ObjectNode spread = root.putObject("repetitions");
        r.repetitions().forEach((key, list) -> {
            ObjectNode o = spread.putObject(key.equals(Benchmark.SPLIT) ? "split_" + BenchCase.split().key() : key);
            var loops = o.putArray("loop_ms");
            var totals = o.putArray("total_ms");
            var transport = key.equals(Benchmark.SPLIT) ? o.putArray("transport_ms_per_call") : null;
            list.forEach(run -> {
                loops.add(run.loopMs());
                totals.add(run.totalMs());
                if (transport != null) transport.add(run.transportMs() / run.steps().calls());
            });
            BenchResults.Spread loop = r.loopSpread(key);
            o.put("loop_ms_median", loop.median()).put("loop_relative_range", loop.relativeRange());
            o.put("total_ms_median", r.totalSpread(key).median());
        });
        put(root, "vae_decoder_gmacs", r.vaeDecoderMacs() / 1e9);
        ObjectNode rss = root.putObject("peak_rss_bytes");
        r.peakRss().forEach(rss::put);
        var profiles = root.putArray("op_profile");
        for (OpProfile p : r.profiles()) {
            ObjectNode o = profiles.addObject().put("graph", p.graph()).put("runs", p.runs());
            put(o, "run_ms", p.runMs());
            put(o, "kernel_ms", p.kernelMs());
            put(o, "gflops", r.profileGflops(p));
            ObjectNode cat = o.putObject("by_category_ms");
            p.byCategory().forEach((c, ms) -> put(cat, c.name().toLowerCase(java.util.Locale.ROOT), ms));
            ObjectNode block = o.putObject("by_block_ms");
            p.byBlock().forEach((b, ms) -> put(block, b, ms));
            ObjectNode op = o.putObject("by_op_ms");
            p.byOp().forEach((k, ms) -> put(op, k, ms));
        }
        var targets = root.putArray("targets");
        for (BenchResults.Target t : r.targets()) {
            targets.addObject().put("metric", t.metric()).put("target", t.comparison() + " " + t.bound())
                    .put("value", t.value()).put("met", t.met());
        }
        return root;
    }

    private static void run(ObjectNode o, RunResult r) {
        o.put("total_ms", r.totalMs());
        o.put("loop_ms", r.loopMs());
        o.put("text_encode_ms", r.textMs());
        o.put("vae_ms", r.vaeMs());
        o.put("full_calls", r.steps().fullCalls());
        o.put("shallow_calls", r.steps().shallowCalls());
        if (!Double.isNaN(r.steps().runMs())) {
            o.put("ort_run_ms", r.steps().runMs());
            put(o, "full_run_ms_mean", r.steps().meanFullMs());
            put(o, "shallow_run_ms_mean", r.steps().meanShallowMs());
            o.put("overhead_ms_per_step", r.overheadMsPerStep());
        }
        if (!Double.isNaN(r.transportMs())) o.put("transport_ms", r.transportMs());
        put(o, "load_average_after", r.load());
    }

    private static void map(ObjectNode o, Map<String, Double> values) {
        values.forEach((k, v) -> put(o, k, v));
    }

    /** JSON has no NaN or infinity: a figure that could not be measured is null. */
    private static void put(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }
}
