package dev.sdserve.orchestrator.deepcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.orchestrator.scheduler.FixtureCases;
import dev.sdserve.orchestrator.scheduler.Scheduler;
import dev.sdserve.orchestrator.scheduler.Schedulers;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Reproduces DeepCacheSDHelper's full/partial pattern of every fixture case from the scheduler's timesteps:
 * the first-match index of each call and whether the call ran the full UNet.
 */
class StepIndexerTest {

    @Test
    void everyTextToImageCaseHasTheRecordedPattern() {
        int calls = 0;
        for (Path dir : FixtureCases.pipelineCases()) {
            JsonNode c = FixtureCases.caseJson(dir);
            Scheduler s = FixtureCases.scheduler(c);
            calls += check(dir, c, s.timesteps(), 0, new StepIndexer(s.timesteps(), 0));
        }
        assertEquals(17 * 20 + 6, calls); // the 6 PNDM cases make 21 calls
    }

    @Test
    void img2imgCountsFromTheFirstCall() {
        for (Path dir : FixtureCases.img2imgCases()) {
            JsonNode c = FixtureCases.caseJson(dir);
            int steps = c.path("num_inference_steps").asInt();
            Scheduler s = FixtureCases.scheduler(c);
            int begin = Schedulers.beginIndex(steps, c.path("strength").asDouble(), 1);
            check(dir, c, s.timesteps(), begin, new StepIndexer(s.timesteps(), begin));
            check(dir, c, s.timesteps(), begin, new StepIndexer(s.timesteps())); // i0 from the first call
            StepIndexer indexer = new StepIndexer(s.timesteps(), begin);
            assertEquals(0, indexer.indexOf(s.timesteps()[begin]));
            // uniform interval 3 over the img2img calls: the first img2img call is full
            CacheSchedule three = CacheSchedules.create(3, false, 15, 1.4, 20);
            assertEquals(StepMode.FULL, three.mode(indexer.indexOf(s.timesteps()[begin])));
            assertEquals(StepMode.SHALLOW, three.mode(indexer.indexOf(s.timesteps()[begin + 1])));
        }
    }

    @Test
    void pndmRepeatedTimestepGetsTheSameIndexTwice() {
        double[] ts = {951, 901, 901, 851, 801};
        StepIndexer indexer = new StepIndexer(ts, 0);
        assertEquals(0, indexer.indexOf(951));
        assertEquals(1, indexer.indexOf(901));
        assertEquals(1, indexer.indexOf(901));
        assertEquals(3, indexer.indexOf(851));
        assertThrows(IllegalArgumentException.class, () -> indexer.indexOf(900));
    }

    /** Checks each recorded call; returns how many calls were checked. */
    private static int check(Path dir, JsonNode c, double[] ts, int begin, StepIndexer indexer) {
        JsonNode dc = c.path("deepcache");
        CacheSchedule schedule = CacheSchedules.create(dc.path("cache_interval").asInt(1), false, 15, 1.4,
                ts.length - begin);
        JsonNode calls = c.path("unet_calls");
        assertEquals(ts.length - begin, calls.size(), dir.getFileName() + " call count");
        for (int k = 0; k < calls.size(); k++) {
            JsonNode call = calls.get(k);
            double t = ts[begin + k];
            String where = dir.getFileName() + " call " + k + " t=" + t;
            assertEquals(call.path("t").asDouble(), t, 0.0, where);
            int i = indexer.indexOf(t);
            if (call.has("timesteps_index_first_match")) {
                assertEquals(call.path("timesteps_index_first_match").asInt(), i + firstPosition(ts, ts[begin]), where);
            }
            assertEquals(call.path("full_unet").asBoolean(), schedule.isFull(i), where);
        }
        return calls.size();
    }

    private static int firstPosition(double[] ts, double t) {
        for (int i = 0; i < ts.length; i++) if (ts[i] == t) return i;
        return -1;
    }
}
