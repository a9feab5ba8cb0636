package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SharedFixtures;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every pipeline, img2img and Karras case: swapping the model's PNDM config to the case's scheduler class (with
 * its use_karras_sigmas) gives diffusers' resolved config, timesteps, sigmas and init_noise_sigma exactly; so does
 * every SDXL case from its own model's config (SDXL base's leading Euler, swapped to DDIM, and SDXL-Turbo's Euler a
 * with trailing spacing at 1 and 4 steps).
 */
class SchedulerFixtureTest {

    @Test
    void resolvedConfigMatchesDiffusersFromConfig() {
        int checked = 0;
        for (Path dir : all()) {
            JsonNode c = FixtureCases.caseJson(dir);
            JsonNode model = FixtureCases.modelSchedulerConfig(c.path("model").asText("tiny-sd15"));
            JsonNode sched = c.path("scheduler");
            SchedulerName name = SchedulerName.parse(FixtureCases.requestedName(c), model);
            SchedulerConfig resolved = SchedulerConfig.resolve(name.configFor(model), name.kind().defaults());
            Map<?, ?> mine = Json.MAPPER.convertValue(resolved, Map.class);
            for (Iterator<Map.Entry<String, JsonNode>> it = sched.path("config").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().startsWith("_") || !isComponent(e.getKey())) continue;
                JsonNode expected = e.getValue();
                JsonNode actual = Json.MAPPER.valueToTree(mine.get(e.getKey()));
                assertTrue(expected.equals(actual) || (actual.isNumber() && (expected.isNumber() || expected.isTextual())
                                && Double.parseDouble(expected.asText()) == actual.asDouble()),
                        dir.getFileName() + " " + e.getKey() + ": expected " + expected + ", got " + actual);
                checked++;
            }
        }
        assertTrue(checked > 100, "compared " + checked + " config values");
    }

    @Test
    void timestepsSigmasAndInitNoiseSigmaMatchEveryCase() {
        for (Path dir : all()) {
            JsonNode c = FixtureCases.caseJson(dir);
            JsonNode sched = c.path("scheduler");
            Scheduler s = FixtureCases.scheduler(c);
            String id = dir.getFileName().toString();
            assertArrayEquals(FixtureCases.doubles(sched.path("timesteps")), s.timesteps(), 0.0, id + " timesteps");
            if (sched.has("init_noise_sigma")) {
                assertEquals(sched.path("init_noise_sigma").asDouble(), s.initNoiseSigma(), 0.0, id + " init sigma");
            }
            if (sched.path("sigmas").size() > 0) { // the SDXL DDIM cases record an empty list
                float[] expected = toFloats(FixtureCases.doubles(sched.path("sigmas")));
                float[] actual = s instanceof SigmaScheduler k ? k.sigmas : ((DpmSolverMultistepScheduler) s).sigmas();
                assertArrayEquals(expected, actual, 0f, id + " sigmas (bit-exact)");
            }
        }
    }

    private static List<Path> all() {
        SharedFixtures.assume();
        List<Path> out = new java.util.ArrayList<>(FixtureCases.pipelineCases());
        out.addAll(FixtureCases.img2imgCases());
        out.addAll(FixtureCases.karrasCases());
        out.addAll(FixtureCases.sdxlCases());
        return out;
    }

    /**
     * SDXL-Turbo's Euler a with trailing spacing at 2 steps (no fixture case runs 2): numpy's
     * round(arange(1000, 0, -500)) - 1 = [999, 499], and σ at those timesteps is the σ the 1- and 4-step cases
     * recorded at 999 and 499.
     */
    @Test
    void turboEulerAncestralTrailingAtTwoSteps() {
        SharedFixtures.assume();
        Path turbo = SharedFixtures.dir().resolve("fixtures/tiny-sdxl-turbo/cases/eulera4_p2_dc1");
        JsonNode four = FixtureCases.caseJson(turbo).path("scheduler");
        Scheduler s = Schedulers.create("", FixtureCases.modelSchedulerConfig("tiny-sdxl-turbo"), 2, 0);
        assertEquals("Euler a", s.displayName());
        assertArrayEquals(new double[] {999, 499}, s.timesteps(), 0.0);
        float[] sigmas4 = toFloats(FixtureCases.doubles(four.path("sigmas")));
        assertArrayEquals(new float[] {sigmas4[0], sigmas4[2], 0f}, ((SigmaScheduler) s).sigmas, 0f, "sigmas (bit-exact)");
        assertEquals(four.path("init_noise_sigma").asDouble(), s.initNoiseSigma(), 0.0, "trailing: init sigma = σ_max");
    }

    private static boolean isComponent(String key) {
        for (RecordComponent rc : SchedulerConfig.class.getRecordComponents()) {
            if (rc.getName().equals(key)) return true;
        }
        return false;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
