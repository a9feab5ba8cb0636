package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** img2img: strength → begin index (diffusers' get_timesteps), the resulting calls, and add_noise. */
class Img2ImgTest {

    @Test
    void beginIndexFollowsGetTimesteps() {
        assertEquals(5, Schedulers.beginIndex(20, 0.75, 1));  // init_timestep 15
        assertEquals(8, Schedulers.beginIndex(20, 0.6, 1));   // int(20 * 0.6) = 12
        assertEquals(0, Schedulers.beginIndex(20, 1.0, 1));
        assertEquals(20, Schedulers.beginIndex(20, 0.0, 1));
        assertEquals(20, Schedulers.beginIndex(20, 0.5, 2));  // t_start 10, times the order
        assertEquals(17, Schedulers.beginIndex(50, 0.67, 1)); // int(33.5) = 33
        Executable bad = () -> Schedulers.beginIndex(20, 1.5, 1);
        assertEquals(SdException.Kind.INVALID_ARGUMENT,
                org.junit.jupiter.api.Assertions.assertThrows(SdException.class, bad).kind());
    }

    @Test
    void slicedTimestepsAreTheRecordedCalls() {
        for (Path dir : FixtureCases.img2imgCases()) {
            JsonNode c = FixtureCases.caseJson(dir);
            int steps = c.path("num_inference_steps").asInt();
            Scheduler s = FixtureCases.scheduler(c);
            int begin = Schedulers.beginIndex(steps, c.path("strength").asDouble(), 1);
            s.setBeginIndex(begin);
            double[] ts = s.timesteps();
            double[] calls = new double[c.path("unet_calls").size()];
            for (int i = 0; i < calls.length; i++) calls[i] = c.path("unet_calls").get(i).path("t").asDouble();
            assertArrayEquals(calls, Arrays.copyOfRange(ts, begin, ts.length), 0.0, dir.getFileName().toString());
        }
    }

    @Test
    void alphaSchedulersNoiseWithSqrtAlphaBar() {
        for (String name : new String[] {"ddim", "pndm"}) {
            Scheduler s = Schedulers.create(name, Reference.sd15Config(), 20, 0);
            FloatTensor x0 = Reference.tensor(0.2);
            FloatTensor eps = Reference.tensor(3.0);
            FloatTensor noisy = s.addNoise(x0, eps, 551);
            double a = Reference.alphaBar(551);
            for (int i = 0; i < x0.size(); i++) {
                assertEquals(Math.sqrt(a) * x0.get(i) + Math.sqrt(1 - a) * eps.get(i), noisy.get(i), 1e-5, name);
            }
        }
    }

    @Test
    void sigmaSchedulersNoiseAtTheBeginIndexSigma() {
        for (String name : new String[] {"euler", "euler_a", "lms"}) {
            Scheduler s = Schedulers.create(name, Reference.sd15Config(), 20, 0);
            float[] sig = ((SigmaScheduler) s).sigmas;
            double[] ts = s.timesteps();
            FloatTensor x0 = Reference.tensor(0.2);
            FloatTensor eps = Reference.tensor(3.0);
            // without a begin index, t's own index; with one, the begin index's σ (diffusers' add_noise)
            FloatTensor byT = s.addNoise(x0, eps, ts[3]);
            s.setBeginIndex(7);
            FloatTensor byBegin = s.addNoise(x0, eps, ts[3]);
            for (int i = 0; i < x0.size(); i++) {
                assertEquals(x0.get(i) + eps.get(i) * sig[3], byT.get(i), 1e-5, name);
                assertEquals(x0.get(i) + eps.get(i) * sig[7], byBegin.get(i), 1e-5, name);
            }
            // the first step then runs at σ_7: scale_model_input divides by sqrt(σ_7² + 1)
            FloatTensor scaled = s.scaleModelInput(x0, ts[7]);
            assertEquals(x0.get(1) / Math.sqrt(sig[7] * (double) sig[7] + 1), scaled.get(1), 1e-6, name);
        }
    }

    @Test
    void dpmSolverNoisesWithAlphaAndSigma() {
        Scheduler s = Schedulers.create("dpmpp_2m", Reference.sd15Config(), 20, 0);
        double[] ts = s.timesteps();
        s.setBeginIndex(4);
        FloatTensor x0 = Reference.tensor(0.6);
        FloatTensor eps = Reference.tensor(1.6);
        FloatTensor noisy = s.addNoise(x0, eps, ts[4]);
        double a = Reference.alphaBar((int) ts[4]);
        for (int i = 0; i < x0.size(); i++) {
            assertEquals(Math.sqrt(a) * x0.get(i) + Math.sqrt(1 - a) * eps.get(i), noisy.get(i), 1e-5);
        }
    }
}
