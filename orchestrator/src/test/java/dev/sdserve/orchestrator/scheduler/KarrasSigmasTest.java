package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.orchestrator.deepcache.CacheSchedules;
import dev.sdserve.orchestrator.deepcache.StepIndexer;
import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Karras σ and their timesteps: the shared karras/ cases' tables (DPM++ 2M Karras with integer timesteps, Euler
 * Karras with fractional ones; LMS Karras shares Euler's), the formula against an independent double-precision
 * schedule, numpy's float32 log, and DeepCacheSDHelper's step index where DPM++'s rounded timesteps repeat.
 */
class KarrasSigmasTest {

    @Test
    void everySharedKarrasCaseHasDiffusersTimestepsAndSigmas() {
        SharedFixtures.assume();
        List<Path> cases = FixtureCases.karrasCases();
        assertEquals(3, cases.size(), "dpmk_p1_dc1, dpmk_p1_dc3, eulerk_p2_dc1");
        for (Path dir : cases) {
            JsonNode c = FixtureCases.caseJson(dir);
            Scheduler s = FixtureCases.scheduler(c);
            String id = dir.getFileName().toString();
            assertArrayEquals(FixtureCases.doubles(c.path("scheduler").path("timesteps")), s.timesteps(), 0.0, id);
            assertArrayEquals(floats(c.path("scheduler").path("sigmas")), sigmas(s), 0f, id + " sigmas");
            assertEquals(c.path("scheduler").path("init_noise_sigma").asDouble(), s.initNoiseSigma(), 0.0, id);
            assertTrue(s.displayName().endsWith(" Karras"), s.displayName());
        }
    }

    @Test
    void lmsKarrasSharesEulerKarrasTablesAndDpmRoundsThem() {
        SharedFixtures.assume();
        JsonNode euler = FixtureCases.caseJson(SharedFixtures.fixtures().resolve("karras").resolve("eulerk_p2_dc1"));
        double[] eulerT = FixtureCases.doubles(euler.path("scheduler").path("timesteps"));
        Scheduler lms = Schedulers.create("lms_karras", FixtureCases.modelSchedulerConfig(), 20, 0);
        assertArrayEquals(eulerT, lms.timesteps(), 0.0, "LMS Karras timesteps (float32)");
        assertArrayEquals(floats(euler.path("scheduler").path("sigmas")), sigmas(lms), 0f, "LMS Karras sigmas");
        assertEquals("LMS Karras", lms.displayName());
        double[] dpm = Schedulers.create("dpmpp_2m_karras", FixtureCases.modelSchedulerConfig(), 20, 0).timesteps();
        for (int i = 0; i < dpm.length; i++) assertEquals(Math.rint(eulerT[i]), dpm[i], 0.0, "DPM++ t[" + i + "]");
    }

    @Test
    void sigmasFollowTheKarrasFormulaBetweenTheScheduleEnds() {
        int n = 20;
        double sigmaMax = Reference.sigma(999);
        double sigmaMin = Reference.sigma(0);
        float[] s = sigmas(Schedulers.create("euler_karras", Reference.sd15Config(), n, 0));
        assertEquals(n + 1, s.length);
        assertEquals(0f, s[n], "final sigma");
        for (int i = 0; i < n; i++) {
            double root = Math.pow(sigmaMax, 1 / 7.0) + i / (n - 1.0) * (Math.pow(sigmaMin, 1 / 7.0) - Math.pow(sigmaMax, 1 / 7.0));
            assertEquals(Math.pow(root, 7), s[i], 1e-4 * s[i], "sigma[" + i + "]"); // float32 ᾱ near 1
        }
    }

    @Test
    void timestepOfATrainSigmaIsItsTimestepAndInBetweenIsLogInterpolated() {
        float[] table = NoiseSchedule.of(SchedulerConfig.resolve(Reference.sd15Config(), SchedulerKind.EULER.defaults()))
                .sigmas();
        float[] log = KarrasSigmas.logSigmas(table);
        for (int t : new int[] {0, 1, 250, 500, 998, 999}) {
            assertEquals(t, KarrasSigmas.timestep(table[t], log), 1e-3, "t(σ_" + t + ")");
        }
        double mid = Math.sqrt((double) table[400] * table[401]); // geometric mean: halfway in log σ
        assertEquals(400.5, KarrasSigmas.timestep(mid, log), 1e-3);
        assertEquals(0.0, KarrasSigmas.timestep(table[0] / 2, log), 0.0, "below the table: clamped to 0");
        assertEquals(999.0, KarrasSigmas.timestep(table[999] * 2, log), 0.0, "above the table: clamped to N-1");
    }

    @Test
    void numpyFloat32LogIsReproducedBitForBit() {
        // np.log(np.float32 array) of entries 7, 12 and 29 of SD 1.5's σ table (numpy 2.4, AVX2/FMA kernel): each
        // is one ulp off the correctly rounded log, which (float) Math.log gives
        int[][] sigmaAndNumpyLogBits = {{1034607053, -1071712500}, {1037797644, -1072764107}, {1043027058, -1075521206}};
        for (int[] pair : sigmaAndNumpyLogBits) {
            float x = Float.intBitsToFloat(pair[0]);
            assertEquals(pair[1], Float.floatToRawIntBits(KarrasSigmas.numpyLog(x)), "numpy log of " + x);
            assertEquals(1, Math.abs(Float.floatToRawIntBits((float) Math.log(x)) - pair[1]), "correctly rounded");
        }
        for (float x = 1e-3f; x < 100; x *= 1.37f) {
            assertEquals(Math.log(x), KarrasSigmas.numpyLog(x), 4 * Math.ulp((float) Math.log(x)), "log " + x);
        }
    }

    @Test
    void dpmRoundedTimestepsRepeatAndDeepCacheIndexesTheFirstOccurrence() {
        double[] t = Schedulers.create("dpmpp_2m_karras", Reference.sd15Config(), 50, 0).timesteps();
        assertArrayEquals(new double[] {6, 4, 2, 1, 1, 0}, java.util.Arrays.copyOfRange(t, 44, 50), 0.0);
        StepIndexer indexer = new StepIndexer(t);
        List<Integer> index = new ArrayList<>();
        for (double ti : t) index.add(indexer.indexOf(ti));
        assertEquals(List.of(44, 45, 46, 47, 47, 49), index.subList(44, 50), "DeepCacheSDHelper: timesteps.index(t)");
        var schedule = CacheSchedules.create(3, false, 15, 1.4, t.length);
        List<StepMode> modes = index.subList(44, 50).stream().map(schedule::mode).toList();
        assertEquals(List.of(StepMode.SHALLOW, StepMode.FULL, StepMode.SHALLOW, StepMode.SHALLOW, StepMode.SHALLOW,
                StepMode.SHALLOW), modes, "interval 3: both calls at t=1 have index 47");
        // 44 steps still give distinct timesteps; Euler and LMS never repeat (fractional)
        double[] t44 = Schedulers.create("dpmpp_2m_karras", Reference.sd15Config(), 44, 0).timesteps();
        assertEquals(44, java.util.Arrays.stream(t44).distinct().count());
    }

    private static float[] sigmas(Scheduler s) {
        return s instanceof SigmaScheduler k ? k.sigmas : ((DpmSolverMultistepScheduler) s).sigmas();
    }

    private static float[] floats(JsonNode array) {
        double[] d = FixtureCases.doubles(array);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
