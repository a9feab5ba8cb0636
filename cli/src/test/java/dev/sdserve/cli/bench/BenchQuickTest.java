package dev.sdserve.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.cli.SdCli;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sd bench --quick} end to end on the tiny model: every key the issue lists is in bench.json with a
 * sane value, and bench.md and bench.png are written. No timing is asserted (CI machines are noisy); the
 * split run happens when the services' jars are built, as they are in a reactor build.
 */
class BenchQuickTest {
    static final List<String> CASES = List.of("N2", "N3", "N5", "N5_nonuniform", "N5_branch1");

    @TempDir
    Path tmp;

    @Test
    void quickBenchWritesEveryKeyWithSaneValues() throws Exception {
        SharedFixtures.assume();
        Path out = tmp.resolve("bench");
        Path project = Path.of("").toAbsolutePath().getParent();
        boolean split = ServiceProcesses.missing(project).isEmpty();
        List<String> args = new ArrayList<>(List.of("bench", "--quick", "--models-dir",
                SharedFixtures.modelsRoot().toString(), "--out", out.toString(), "--project-dir", project.toString()));
        if (!split) args.add("--no-split");
        StringWriter err = new StringWriter();
        CommandLine cl = SdCli.commandLine();
        cl.setErr(new PrintWriter(err, true)).setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), () -> "bench failed:\n" + err);

        JsonNode json = Json.MAPPER.readTree(out.resolve("bench.json").toFile());
        for (String key : List.of("deepcache_speedup", "unet_loop_speedup", "unet_loop_speedup_from_call_costs",
                "mac_ceiling", "fraction_of_mac_ceiling")) {
            for (String c : CASES) positive(json.path(key), c, key);
        }
        for (String c : CASES) {
            double db = json.path("psnr_db").path(c).asDouble(Double.NaN);
            // a DeepCache image differs from the baseline, but stays recognisably the same image
            assertTrue(db > 10 && db < Psnr.IDENTICAL_DB, "psnr_db." + c + " = " + db);
        }
        for (String branch : List.of("branch0", "branch1")) {
            positive(json.path("shallow_over_full_time"), branch, "shallow_over_full_time");
            double macs = json.path("shallow_over_full_macs").path(branch).asDouble(Double.NaN);
            assertTrue(macs > 0 && macs < 1, "shallow_over_full_macs." + branch + " = " + macs);
        }
        assertTrue(json.path("shallow_over_full_macs").path("branch0").asDouble()
                < json.path("shallow_over_full_macs").path("branch1").asDouble(), "branch 1 runs more of the UNet");
        for (String key : List.of("full_step_gflops", "gemm_peak_gflops", "overhead_ms_per_step", "threads", "steps")) {
            positive(json, key, "");
        }
        assertEquals("tiny-sd15", json.path("model").asText());
        assertEquals(128, json.path("height").asInt());
        assertEquals(128, json.path("width").asInt());
        assertEquals(20, json.path("steps").asInt());
        assertTrue(!json.path("cpu").asText().isBlank());
        assertTrue(json.has("split_over_inprocess"));
        // DeepCache N=3 runs a shallow graph of ~12 % of the full MACs on 2 of 3 calls: from the calls' own costs it
        // must beat no cache (a ratio of costs measured in the same run, not a wall-clock target)
        double n3 = json.path("unet_loop_speedup_from_call_costs").path("N3").asDouble(Double.NaN);
        assertTrue(n3 > 1.0, "DeepCache N=3 is not faster than no cache: unet_loop_speedup_from_call_costs.N3 = " + n3);
        JsonNode baseline = json.path("runs").path("baseline");
        assertEquals(21, baseline.path("full_calls").asInt(), "20 PLMS steps are 21 UNet calls");
        assertEquals(5, json.path("runs").path("N5").path("full_calls").asInt());
        JsonNode n5 = json.path("runs").path("N5");
        assertEquals(BenchResults.macCeiling(n5.path("full_calls").asInt(), n5.path("shallow_calls").asInt(),
                json.path("shallow_over_full_macs").path("branch0").asDouble()),
                json.path("mac_ceiling").path("N5").asDouble(), 1e-9, "ceiling from the run's own calls and MACs");
        assertEquals(json.path("unet_loop_speedup_from_call_costs").path("N5").asDouble()
                / json.path("mac_ceiling").path("N5").asDouble(),
                json.path("fraction_of_mac_ceiling").path("N5").asDouble(), 1e-9);

        // the op profile: every graph the run used, with run times that hold their kernels' times
        java.util.Map<String, JsonNode> graphs = new java.util.HashMap<>();
        json.path("op_profile").forEach(p -> graphs.put(p.path("graph").asText(), p));
        for (String g : List.of("unet full (branch 0)", "unet shallow b0", "unet full (branch 1)", "unet shallow b1",
                "text_encoder", "vae_decoder")) {
            JsonNode p = graphs.get(g);
            assertTrue(p != null, "op_profile lacks " + g + ": " + graphs.keySet());
            double run = p.path("run_ms").asDouble();
            double kernels = p.path("kernel_ms").asDouble();
            assertTrue(kernels > 0 && kernels <= run, g + ": kernels " + kernels + " ms of a " + run + " ms run");
            double categories = 0;
            for (JsonNode ms : p.path("by_category_ms")) categories += ms.asDouble();
            assertEquals(kernels, categories, 1e-6 * kernels, g + ": the categories partition the kernels' time");
        }
        assertTrue(graphs.get("unet full (branch 0)").path("by_block_ms").has("up_blocks.3/attentions"));
        assertTrue(graphs.get("unet shallow b0").path("by_block_ms").has("up_blocks.3/attentions"));
        assertTrue(!graphs.get("unet shallow b0").path("by_block_ms").has("mid_block/resnets"),
                "the shallow graph has no mid block");
        positive(graphs.get("vae_decoder"), "gflops", "op_profile.vae_decoder");
        positive(json, "vae_decoder_gmacs", "");
        assertEquals(1, json.path("repeats").asInt());
        assertEquals(1, json.path("repetitions").path("N5").path("loop_ms").size());

        String md = Files.readString(out.resolve("bench.md"));
        assertTrue(md.contains("| N=5 uniform, branch 1 |") && md.contains("one timed run per configuration"), md);
        assertTrue(md.contains("## Op-level profile") && md.contains("| VAE decode, one image |"), md);
        Png.Rgb chart = Png.decode(Files.readAllBytes(out.resolve("bench.png")), "bench.png", 1L << 24);
        assertEquals(BenchChart.WIDTH, chart.width());

        assumeTrue(split, "split phase skipped: the services' jars are missing (" + ServiceProcesses.missing(project)
                + "); run `mvn -pl text-encoder-service,unet-service,vae-service,orchestrator -am package -DskipTests`");
        positive(json, "split_over_inprocess", "");
        positive(json.path("peak_rss_bytes"), "unet-service", "peak_rss_bytes");
        assertEquals(1, json.path("repetitions").path("split_N5").path("transport_ms_per_call").size());
        // the same inputs through the services give the same image
        assertEquals(Psnr.IDENTICAL_DB, json.path("split_psnr_db_vs_inprocess").asDouble(), 1e-9);
    }

    private static void positive(JsonNode parent, String key, String where) {
        double v = parent.path(key).asDouble(Double.NaN);
        assertTrue(Double.isFinite(v) && v > 0, where + "." + key + " = " + parent.path(key));
    }
}
