package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.noise.TorchGenerator;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Single steps of DDIM, Euler, Euler ancestral, DPM++ 2M and LMS against closed forms worked out independently
 * (double precision, SD 1.5's schedule from its definition), plus DDIM's first step against the fixtures.
 */
class SchedulerStepTest {
    static final double TOL = 2e-5;

    @Test
    void ddimFirstStepMatchesDiffusers() {
        SharedFixtures.assume();
        // ddim_p1 and pndm_p1 share seed, prompt and first timestep (951), so PNDM's recorded first UNet output is
        // also DDIM's first UNet output.
        Path pndm = SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1");
        Path ddim = SharedFixtures.fixtures().resolve("cases/ddim_p1_dc1");
        FloatTensor[] uc = SharedFixtures.tensor(pndm.resolve("unet_out_steps.f32")).slice0(0, 1)
                .reshape(2, 4, 32, 32).split0(2);
        FloatTensor eps = FloatTensor.guidance(uc[0], uc[1], 7.5f);
        Scheduler s = Schedulers.create("ddim", FixtureCases.modelSchedulerConfig(), 20, 42);
        FloatTensor x = SharedFixtures.tensor(ddim.resolve("latents_init.f32"));
        FloatTensor next = s.step(eps, s.timesteps()[0], x);
        FloatTensor expected = SharedFixtures.tensor(ddim.resolve("latents_steps.f32")).slice0(0, 1).reshape(1, 4, 32, 32);
        float err = next.maxAbsDiff(expected);
        System.out.printf("DDIM first step vs diffusers: max abs diff %.3e%n", err);
        assertTrue(err < 1e-5, "max abs diff " + err);
    }

    @Test
    void ddimStepIsEquation12WithEtaZero() {
        Scheduler s = Schedulers.create("ddim", Reference.sd15Config(), 20, 0);
        FloatTensor x = Reference.tensor(0.1);
        FloatTensor eps = Reference.tensor(2.0);
        for (int[] tt : new int[][] {{951, 901}, {501, 451}, {1, 0}}) {
            FloatTensor out = s.step(eps, tt[0], x);
            double at = Reference.alphaBar(tt[0]);
            double ap = Reference.alphaBar(tt[1]); // t=1 steps to final_alpha_cumprod = ᾱ_0 (set_alpha_to_one false)
            for (int i = 0; i < x.size(); i++) {
                double x0 = (x.get(i) - Math.sqrt(1 - at) * eps.get(i)) / Math.sqrt(at);
                double want = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps.get(i);
                assertEquals(want, out.get(i), TOL * Math.max(1, Math.abs(want)), "t=" + tt[0] + " i=" + i);
            }
        }
    }

    @Test
    void eulerStepMovesAlongEpsilonByTheSigmaGap() {
        Scheduler s = Schedulers.create("euler", Reference.sd15Config(), 20, 0);
        double[] ts = s.timesteps();
        FloatTensor x = Reference.tensor(0.3);
        FloatTensor eps = Reference.tensor(1.1);
        // case.json sigmas of the Euler cases (diffusers): σ_0 = 14.614647, σ_1 = 10.746850
        double s0 = 14.614646911621094;
        double s1 = 10.74685001373291;
        assertEquals(s0, s.initNoiseSigma(), 1e-6);
        FloatTensor scaled = s.scaleModelInput(x, ts[0]);
        FloatTensor next = s.step(eps, ts[0], x);
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i) / Math.sqrt(s0 * s0 + 1), scaled.get(i), 1e-6);
            // ε-prediction: x̂_0 = x − σ ε, d = ε, x_next = x + ε (σ_1 − σ_0)
            assertEquals(x.get(i) + eps.get(i) * (s1 - s0), next.get(i), TOL * 10);
        }
    }

    @Test
    void eulerAncestralAddsSeededNoiseOfSizeSigmaUp() {
        long seed = 1234;
        Scheduler s = Schedulers.create("euler_a", Reference.sd15Config(), 20, seed);
        float[] sig = ((SigmaScheduler) s).sigmas;
        FloatTensor x = Reference.tensor(0.7).scale(14f);
        FloatTensor eps = Reference.tensor(0.2);
        double[] ts = s.timesteps();
        TorchGenerator g = new TorchGenerator(seed);
        g.randn(x.size()); // the initial latents' draw that diffusers made from the same generator
        for (int k = 0; k < 2; k++) {
            double from = sig[k];
            double to = sig[k + 1];
            double up = to * Math.sqrt(from * from - to * to) / from;
            double down = Math.sqrt(to * to - up * up);
            assertEquals(to * to, up * up + down * down, 1e-9 * to * to);
            float[] z = g.randn(x.size());
            FloatTensor next = s.step(eps, ts[k], x);
            for (int i = 0; i < x.size(); i++) {
                double want = x.get(i) + eps.get(i) * (down - from) + up * z[i];
                assertEquals(want, next.get(i), 1e-4, "step " + k + " i=" + i);
            }
            x = next;
        }
    }

    @Test
    void dpmSolverTimestepsFollowNumpyLinspace() {
        Scheduler s = Schedulers.create("dpmpp_2m", Reference.sd15Config(), 20, 0);
        // np.linspace(0, 999, 21).round()[::-1][:-1]
        double[] want = {999, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200, 150,
            100, 50};
        assertArrayEquals(want, s.timesteps(), 0.0);
        assertEquals(1.0, s.initNoiseSigma());
    }

    @Test
    void dpmSolverFirstStepIsDdimAndSecondStepIs2M() {
        Scheduler s = Schedulers.create("DPMSolverMultistepScheduler", Reference.sd15Config(), 20, 0);
        double[] ts = s.timesteps();
        FloatTensor x = Reference.tensor(0.4);
        FloatTensor e0 = Reference.tensor(1.5);
        FloatTensor e1 = Reference.tensor(2.5);
        FloatTensor x1 = s.step(e0, ts[0], x);
        double a0 = Reference.alphaBar((int) ts[0]);
        double a1 = Reference.alphaBar((int) ts[1]);
        double[] d0 = new double[x.size()];
        for (int i = 0; i < x.size(); i++) {
            d0[i] = (x.get(i) - Math.sqrt(1 - a0) * e0.get(i)) / Math.sqrt(a0);
            // DPM-Solver++(1) is DDIM: sqrt(ᾱ') x̂_0 + sqrt(1 − ᾱ') ε with ε re-derived from x̂_0
            double epsHat = (x.get(i) - Math.sqrt(a0) * d0[i]) / Math.sqrt(1 - a0);
            assertEquals(Math.sqrt(a1) * d0[i] + Math.sqrt(1 - a1) * epsHat, x1.get(i), TOL);
        }
        FloatTensor x2 = s.step(e1, ts[1], x1);
        double a2 = Reference.alphaBar((int) ts[2]);
        double l0 = lambda(a0);
        double l1 = lambda(a1);
        double l2 = lambda(a2);
        double h = l2 - l1;
        double r0 = (l1 - l0) / h;
        for (int i = 0; i < x.size(); i++) {
            double m1 = (x1.get(i) - Math.sqrt(1 - a1) * e1.get(i)) / Math.sqrt(a1);
            double dd1 = (m1 - d0[i]) / r0;
            double c = Math.sqrt(a2) * (Math.exp(-h) - 1);
            double want = Math.sqrt((1 - a2) / (1 - a1)) * x1.get(i) - c * m1 - 0.5 * c * dd1;
            assertEquals(want, x2.get(i), 1e-4, "i=" + i);
        }
    }

    @Test
    void dpmSolverLastStepReturnsTheDataPrediction() {
        Scheduler s = Schedulers.create("dpmpp_2m", Reference.sd15Config(), 2, 0);
        double[] ts = s.timesteps();
        FloatTensor x = Reference.tensor(0.9);
        FloatTensor eps = Reference.tensor(0.1);
        FloatTensor x1 = s.step(eps, ts[0], x);
        FloatTensor x2 = s.step(eps, ts[1], x1);
        double a = Reference.alphaBar((int) ts[1]);
        for (int i = 0; i < x.size(); i++) {
            assertEquals((x1.get(i) - Math.sqrt(1 - a) * eps.get(i)) / Math.sqrt(a), x2.get(i), 1e-4);
        }
    }

    @Test
    void lmsCoefficientsIntegrateTheLagrangeBasis() {
        LmsScheduler s = (LmsScheduler) Schedulers.create("lms", Reference.sd15Config(), 20, 0);
        float[] sig = s.sigmas;
        // order 1: ∫ 1 dτ = σ_{t+1} − σ_t
        assertEquals((double) sig[1] - sig[0], s.lmsCoefficient(1, 0, 0), 1e-9);
        // order 2, current 0: ∫ (τ − σ_{t−1}) / (σ_t − σ_{t−1}) dτ over [σ_t, σ_{t+1}]
        double a = sig[0];
        double b = sig[1];
        double c = sig[2];
        assertEquals(((c - a) * (c - a) - (b - a) * (b - a)) / (2 * (b - a)), s.lmsCoefficient(2, 1, 0), 1e-9);
        // the Lagrange basis sums to 1, so the order-4 coefficients sum to σ_{t+1} − σ_t (up to float32
        // rounding: the node differences σ_a − σ_b are float32 subtractions, as in diffusers)
        double sum = 0;
        for (int k = 0; k < 4; k++) sum += s.lmsCoefficient(4, 5, k);
        assertEquals((double) sig[6] - sig[5], sum, 1e-6);
        assertEquals(2.0 / 3, LmsScheduler.integrate(t -> t * t, -1, 1), 1e-15);
    }

    @Test
    void lmsFirstStepIsAnEulerStep() {
        Scheduler s = Schedulers.create("lms", Reference.sd15Config(), 20, 0);
        float[] sig = ((SigmaScheduler) s).sigmas;
        FloatTensor x = Reference.tensor(0.5).scale(10f);
        FloatTensor eps = Reference.tensor(1.9);
        FloatTensor next = s.step(eps, s.timesteps()[0], x);
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i) + eps.get(i) * ((double) sig[1] - sig[0]), next.get(i), 1e-4);
        }
    }

    private static double lambda(double alphaBar) {
        return Math.log(Math.sqrt(alphaBar)) - Math.log(Math.sqrt(1 - alphaBar));
    }
}
