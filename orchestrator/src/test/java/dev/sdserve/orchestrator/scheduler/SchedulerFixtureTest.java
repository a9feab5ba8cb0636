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
 * its use_karras_sigmas) gives diffusers' resolved config, timesteps, sigmas and init_noise_sigma exactly.
 */
class SchedulerFixtureTest {

    @Test
    void resolvedConfigMatchesDiffusersFromConfig() {
        JsonNode model = FixtureCases.modelSchedulerConfig();
        int checked = 0;
        for (Path dir : all()) {
            JsonNode c = FixtureCases.caseJson(dir);
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
            if (sched.has("sigmas")) {
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
        return out;
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
