package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.runtime.Png;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The project's embedded default model, models/shapes-sd-tiny, draws what its prompt says: the four services
 * run as real processes with models root = the repository's models/ and no model named in the requests, and
 * 8 seeded held-out prompts (single-shape scenes never shown in training; all 8 colours as shape and as
 * background, all shapes and positions) are scored by {@link ShapesChecker}, the port of
 * tools/train/checker.py. Settings are the ones tools/train/RESULTS.md reports: the model's own scheduler (DDIM,
 * named by its scheduler_config.json; no scheduler in the request), 50 steps, guidance 7.5, 128x128, without cache
 * and with DeepCache N=3. Thresholds sit just below what this run measures (see
 * {@link #NO_CACHE_MIN} / {@link #N3_MIN}); the per-prompt scores go to target/e2e-results.txt.
 */
class DefaultModelQualityE2eTest {
    static final String MODEL = "shapes-sd-tiny";

    /** Held-out scenes of shapes.held_out_combos(), chosen to cover the grammar; prompt i uses seed {@link #SEED} + i. */
    static final List<String> PROMPTS = List.of(
            "a black triangle at the top on a red background",
            "a orange circle on the left on a green background",
            "a white square on the right on a blue background",
            "a green circle on the right on a yellow background",
            "a yellow triangle on the left on a purple background",
            "a red square at the bottom on a orange background",
            "a blue triangle in the center on a white background",
            "a purple circle at the bottom on a black background");
    static final long SEED = 1000;
    static final int PARALLEL = Integer.getInteger("sd.e2e.quality.parallel", 2);

    /**
     * Minimum correct prompts out of 8 (background, shape colour, position, shape): what this test measured minus
     * one, so that another CPU's rounding may flip one borderline image and no more. Measured here (deterministic
     * across runs): no cache 8, 8, 8, 8; DeepCache N=3 8, 8, 8, 8.
     */
    static final int[] NO_CACHE_MIN = {7, 7, 7, 7};
    static final int[] N3_MIN = {7, 7, 7, 7};

    private static ServiceCluster cluster;

    @BeforeAll
    static void startCluster() {
        Path project = Cluster.projectDir();
        Path models = project.resolve("models");
        assumeTrue(Files.isDirectory(models.resolve(MODEL)), "skipped: no default model folder " + models.resolve(MODEL));
        ServiceCluster.Layout layout = new ServiceCluster.Layout(project, List.of(models), MODEL,
                project.resolve("e2e/target/e2e-quality-cluster"));
        List<ServiceCluster.Service> missing = ServiceCluster.missingJars(layout);
        assumeTrue(missing.isEmpty(), "skipped: not built yet (run mvn package on the services): " + missing);
        cluster = ServiceCluster.start(layout);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Test
    void noCacheFollowsThePrompts() {
        check("no cache", 1, NO_CACHE_MIN);
    }

    @Test
    void deepCacheEvery3StepsFollowsThePrompts() {
        check("DeepCache N=3", 3, N3_MIN);
    }

    private static void check(String name, int interval, int[] min) {
        long t0 = System.nanoTime();
        List<ShapesChecker.Score> scores = new ArrayList<>();
        List<Generations> runs = generateAll(interval);
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertCacheUse(runs.get(i), interval);
            GeneratedImage img = runs.get(i).result().getImages(0);
            Png.Rgb rgb = Png.decode(img.getPng().toByteArray(), "png", 1 << 20);
            assertEquals(128, rgb.width());
            assertEquals(128, rgb.height());
            ShapesChecker.Score s = ShapesChecker.score(rgb, PROMPTS.get(i));
            scores.add(s);
            Results.append(String.format(Locale.ROOT, "shapes-sd-tiny %s seed %d '%s': %s; %s", name, SEED + i, PROMPTS.get(i), s,
                    Results.timings(runs.get(i).timings())));
        }
        ShapesChecker.Accuracy acc = ShapesChecker.Accuracy.of(scores);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Results.append(String.format(Locale.ROOT, "shapes-sd-tiny %s, 8 held-out prompts, DDIM 50 steps, guidance 7.5: %s; %.1f s",
                name, acc, seconds));
        int[] got = {count(acc.background()), count(acc.color()), count(acc.position()), count(acc.shape())};
        String[] attr = {"background", "shape colour", "position", "shape"};
        for (int a = 0; a < 4; a++) {
            assertTrue(got[a] >= min[a], name + ": " + attr[a] + " right on " + got[a] + "/8, want >= " + min[a] + "/8; " + acc);
        }
    }

    /** The 8 generations, {@link #PARALLEL} in flight at a time (the services overlap one's round trips with another's compute). */
    private static List<Generations> generateAll(int interval) {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<Generations>> futures = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                String prompt = PROMPTS.get(i);
                long seed = SEED + i;
                futures.add(pool.submit(() -> generate(prompt, seed, interval)));
            }
            List<Generations> out = new ArrayList<>();
            for (Future<Generations> f : futures) out.add(f.get(5, TimeUnit.MINUTES));
            return out;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("generations did not finish", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Generations generate(String prompt, long seed, int interval) {
        GenerateRequest.Builder req = GenerateRequest.newBuilder().setPrompt(prompt).setSeed(seed).setSteps(50)
                .setGuidance(7.5).setWidth(128).setHeight(128);
        if (interval > 1) req.setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(interval));
        Generations g = Generations.run(cluster, req.build());
        assertEquals(1, g.result().getImagesCount());
        String params = g.result().getParameters();
        assertTrue(params.contains("Model: " + MODEL), "no model named, so the default model ran: " + params);
        assertTrue(params.contains("Sampler: DDIM,"), "no scheduler named, so the model's own (DDIM) ran: " + params);
        return g;
    }

    /** 50 UNet calls (DDIM 50 steps), of which every interval-th from the first is FULL and the rest hit the cache. */
    private static void assertCacheUse(Generations g, int interval) {
        assertEquals(50, g.progress().size(), "UNet calls");
        long shallowHits = g.progress().stream().filter(p -> p.getMode() == StepMode.SHALLOW && p.getCacheHit()).count();
        assertEquals(50 - (50 + interval - 1) / interval, shallowHits, "shallow steps on the cached feature");
    }

    private static int count(double accuracy) {
        return (int) Math.round(accuracy * PROMPTS.size());
    }
}
