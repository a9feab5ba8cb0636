package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An exact test of PLMS without running a model: the recorded raw UNet outputs of pndm_p1_dc1/dc3, guided with
 * g = 7.5 and fed through PndmScheduler from latents_init, must reproduce diffusers' latents after every one of
 * the 21 calls. The chain uses our own latents (not the fixture's) so errors would accumulate.
 */
class PndmFixtureTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"pndm_p1_dc1", "pndm_p1_dc3"})
    void everyStepMatchesDiffusers(String id) {
        SharedFixtures.assume();
        Path dir = SharedFixtures.fixtures().resolve("cases").resolve(id);
        JsonNode c = FixtureCases.caseJson(dir);
        Scheduler s = Schedulers.create("", FixtureCases.modelSchedulerConfig(), 20, 42);
        assertTrue(s instanceof PndmScheduler);
        FloatTensor unetOut = SharedFixtures.tensor(dir.resolve("unet_out_steps.f32"));
        FloatTensor expected = SharedFixtures.tensor(dir.resolve("latents_steps.f32"));
        FloatTensor latents = SharedFixtures.tensor(dir.resolve("latents_init.f32")).scale((float) s.initNoiseSigma());
        double[] ts = s.timesteps();
        assertEquals(c.path("num_unet_calls").asInt(), ts.length);
        float guidance = (float) c.path("guidance_scale").asDouble();
        float worst = 0;
        for (int k = 0; k < ts.length; k++) {
            FloatTensor[] uc = unetOut.slice0(k, k + 1).reshape(2, 4, 32, 32).split0(2);
            FloatTensor eps = FloatTensor.guidance(uc[0], uc[1], guidance);
            latents = s.step(eps, ts[k], latents);
            float err = latents.maxAbsDiff(expected.slice0(k, k + 1).reshape(1, 4, 32, 32));
            worst = Math.max(worst, err);
            assertTrue(err < TOLERANCE, id + " call " + k + " (t=" + ts[k] + "): max abs diff " + err);
        }
        System.out.printf("%s: PNDM 21-call chain max abs diff vs diffusers %.3e%n", id, worst);
    }
}
