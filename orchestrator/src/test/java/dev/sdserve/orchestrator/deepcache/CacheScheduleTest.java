package dev.sdserve.orchestrator.deepcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.SdException;
import org.junit.jupiter.api.Test;

/** Uniform and DeepCache's non-uniform (quad-center) schedules. */
class CacheScheduleTest {

    @Test
    void intervalOneOrLessIsAlwaysFull() {
        for (int interval : new int[] {1, 0, -4}) {
            CacheSchedule s = CacheSchedules.create(interval, true, 15, 1.4, 50);
            for (int i = 0; i < 50; i++) assertTrue(s.isFull(i));
            assertEquals(StepMode.FULL, s.mode(7));
        }
    }

    @Test
    void uniformRunsEveryIntervalThStep() {
        CacheSchedule s = CacheSchedules.create(3, false, 15, 1.4, 20);
        StringBuilder pattern = new StringBuilder();
        for (int i = 0; i < 10; i++) pattern.append(s.isFull(i) ? 'F' : '.');
        assertEquals("F..F..F..F", pattern.toString());
        assertEquals(StepMode.SHALLOW, s.mode(4));
        assertEquals(StepMode.FULL, s.mode(6));
    }

    @Test
    void nonUniformMatchesDeepCacheSampleFromQuadCenter() {
        // sample_from_quad_center(50, 10, center=15, pow=1.4) and (50, 17, 15, 1.4), as DeepCache's pipeline
        // derives n = ceil(50 / interval)
        NonUniformCacheSchedule n5 = NonUniformCacheSchedule.of(50, 5, 15, 1.4);
        assertArrayEquals(new int[] {0, 5, 9, 13, 17, 21, 26, 31, 37, 43}, n5.fullSteps());
        assertEquals(1.4, n5.power(), 0.0);
        NonUniformCacheSchedule n3 = NonUniformCacheSchedule.of(50, 3, 15, 1.4);
        assertArrayEquals(new int[] {0, 3, 6, 8, 11, 13, 15, 17, 20, 22, 25, 28, 32, 35, 38, 42, 46}, n3.fullSteps());
        CacheSchedule s = CacheSchedules.create(5, true, 15, 1.4, 50);
        assertTrue(s.isFull(0) && s.isFull(26) && s.isFull(43));
        assertFalse(s.isFull(1) || s.isFull(25) || s.isFull(49));
    }

    @Test
    void nonUniformForShortRunsLowersThePowerLikeDeepCache() {
        // numpy reference: sample_from_quad_center(20, 7, 15, 1.4) -> [0, 4, 8, 11, 14, 15, 17] at pow 1.4
        assertArrayEquals(new int[] {0, 4, 8, 11, 14, 15, 17}, NonUniformCacheSchedule.of(20, 3, 15, 1.4).fullSteps());
        assertArrayEquals(new int[] {0, 7, 12, 16}, NonUniformCacheSchedule.of(20, 5, 15, 1.4).fullSteps());
        // a center beyond the last step still works through the complex powers: (5, 3, 15) -> [0, 2, 4]
        assertArrayEquals(new int[] {0, 2, 4}, NonUniformCacheSchedule.of(5, 2, 15, 1.4).fullSteps());
    }

    /** Every case of tools/reference/deepcache_schedules.py (an independent numpy computation) and its output. */
    @Test
    void nonUniformMatchesTheNumpyReferenceScript() throws Exception {
        java.nio.file.Path json = java.nio.file.Path.of("..", "tools", "reference", "deepcache_schedules.json");
        com.fasterxml.jackson.databind.JsonNode cases = dev.sdserve.runtime.Json.MAPPER.readTree(json.toFile()).path("cases");
        assertTrue(cases.size() >= 9, "cases in " + json);
        for (com.fasterxml.jackson.databind.JsonNode c : cases) {
            int steps = c.path("steps").asInt();
            int interval = c.path("interval").asInt();
            double center = c.path("center").asDouble();
            double pow = c.path("pow").asDouble();
            String name = c.toString();
            if (c.path("full_steps").isNull()) {
                assertEquals(SdException.Kind.INVALID_ARGUMENT, assertThrows(SdException.class,
                        () -> NonUniformCacheSchedule.of(steps, interval, center, pow)).kind(), name);
                continue;
            }
            NonUniformCacheSchedule s = NonUniformCacheSchedule.of(steps, interval, center, pow);
            int[] expected = new int[c.path("full_steps").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.path("full_steps").get(i).asInt();
            assertArrayEquals(expected, s.fullSteps(), name);
            assertEquals(c.path("pow_used").asDouble(), s.power(), 1e-9, name);
        }
    }

    @Test
    void impossibleNonUniformRequestsAreInvalidArguments() {
        // numpy: sample_from_quad_center(10, 5, center=5) finds no power in (1, 1.4]
        SdException e = assertThrows(SdException.class, () -> CacheSchedules.create(2, true, 5, 1.4, 10));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("cache schedule:"), e.getMessage());
        assertThrows(SdException.class, () -> CacheSchedules.create(3, true, 15, 0.9, 50));
        assertThrows(SdException.class, () -> CacheSchedules.create(3, true, 15.5, 1.4, 50));
    }
}
