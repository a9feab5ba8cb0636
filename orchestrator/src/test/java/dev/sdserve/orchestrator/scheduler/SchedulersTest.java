package dev.sdserve.orchestrator.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SdException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry: names, defaults and the rejection of unsupported options by name. */
class SchedulersTest {

    @Test
    void shortAndClassNamesResolveToTheSameScheduler() {
        assertEquals(List.of("pndm", "ddim", "euler", "euler_a", "dpmpp_2m", "lms", "euler_karras", "dpmpp_2m_karras",
                "lms_karras"), Schedulers.shortNames());
        String[][] pairs = {{"pndm", "PNDMScheduler"}, {"ddim", "DDIMScheduler"}, {"euler", "EulerDiscreteScheduler"},
            {"euler_a", "EulerAncestralDiscreteScheduler"}, {"dpmpp_2m", "DPMSolverMultistepScheduler"},
            {"lms", "LMSDiscreteScheduler"},
            {"euler_karras", "EulerDiscreteScheduler(use_karras_sigmas=True)"},
            {"DPMPP_2M_KARRAS", "DPMSolverMultistepScheduler( use_karras_sigmas = true )"},
            {"lms_karras", "lms(use_karras_sigmas=True)"},
            {"dpmpp_2m", "DPMSolverMultistepScheduler(use_karras_sigmas=False)"}};
        for (String[] p : pairs) {
            Scheduler a = Schedulers.create(p[0], Reference.sd15Config(), 10, 1);
            Scheduler b = Schedulers.create(p[1], Reference.sd15Config(), 10, 1);
            assertEquals(a.getClass(), b.getClass());
            assertArrayEquals(a.timesteps(), b.timesteps(), 0.0);
            assertTrue(!a.displayName().isBlank());
        }
        assertTrue(Schedulers.create("", Reference.sd15Config(), 10, 1) instanceof PndmScheduler);
    }

    @Test
    void unknownNameListsTheChoices() {
        SdException e = assertThrows(SdException.class, () -> Schedulers.create("heun", Reference.sd15Config(), 20, 0));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("scheduler: unknown 'heun'; expected "), e.getMessage());
        assertTrue(e.getMessage().contains("euler_a"), e.getMessage());
    }

    @Test
    void stepsWhoseTimestepsLeaveTheTrainScheduleAreRejectedNamingSteps() {
        // leading spacing + steps_offset 1 at 1000 steps: arange(0, 1000) * 1 + 1 ends at t = 1000
        for (String name : List.of("pndm", "ddim")) {
            SdException e = assertThrows(SdException.class, () -> Schedulers.create(name, Reference.sd15Config(), 1000, 0));
            assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().startsWith("steps: 1000 steps give timestep 1000, outside [0, 1000)"), e.getMessage());
        }
        // 999 steps: ratio 1, the last timestep is 998 + 1 = 999, still inside
        assertEquals(999, Schedulers.create("ddim", Reference.sd15Config(), 999, 0).timesteps()[0], 0.0);
        // linspace ignores steps_offset, so 1000 steps are fine there
        assertEquals(999, Schedulers.create("euler", Reference.sd15Config(), 1000, 0).timesteps()[0], 1e-3);
    }

    @Test
    void timestepSpacingsFollowNumpy() {
        // leading: arange(0, 7) * (1000 // 7 = 142) + 1, descending
        assertArrayEquals(new double[] {853, 711, 569, 427, 285, 143, 1},
                Schedulers.create("ddim", Reference.sd15Config(), 7, 0).timesteps(), 0.0);
        // linspace: np.linspace(0, 999, 7).round() rounds half to even (166.5 -> 166, 832.5 -> 832)
        assertArrayEquals(new double[] {999, 832, 666, 500, 333, 166, 0}, Schedulers.create("ddim",
                Reference.sd15With("timestep_spacing", TextNode.valueOf("linspace")), 7, 0).timesteps(), 0.0);
        // trailing: round(arange(1000, 0, -1000/20)) - 1
        double[] trailing = Schedulers.create("ddim",
                Reference.sd15With("timestep_spacing", TextNode.valueOf("trailing")), 20, 0).timesteps();
        assertEquals(999, trailing[0]);
        assertEquals(49, trailing[19]);
        // PNDM repeats the second timestep: n + 1 calls
        assertArrayEquals(new double[] {501, 1, 1}, Schedulers.create("pndm", Reference.sd15Config(), 2, 0)
                .timesteps(), 0.0);
        // LMS interpolates at float64 linspace timesteps and reports them as float32, as diffusers
        assertEquals((float) 946.421052631579, Schedulers.create("lms", Reference.sd15Config(), 20, 0)
                .timesteps()[1], 0.0);
    }

    @Test
    void unsupportedOptionsAreRejectedByName() {
        rejects("pndm", "skip_prk_steps", BooleanNode.FALSE);
        rejects("ddim", "thresholding", BooleanNode.TRUE);
        rejects("euler", "use_beta_sigmas", BooleanNode.TRUE);
        rejects("euler", "interpolation_type", TextNode.valueOf("log_linear"));
        rejects("lms", "use_exponential_sigmas", BooleanNode.TRUE);
        rejects("dpmpp_2m", "algorithm_type", TextNode.valueOf("sde-dpmsolver++"));
        rejects("dpmpp_2m", "solver_order", IntNode.valueOf(3));
        rejects("euler_a", "rescale_betas_zero_snr", BooleanNode.TRUE);
        rejects("ddim", "beta_schedule", TextNode.valueOf("sigmoid"));
        rejects("euler", "timestep_spacing", TextNode.valueOf("uniform"));
        rejects("euler", "prediction_type", TextNode.valueOf("flow"));
        rejects("ddim", "num_train_timesteps", TextNode.valueOf("many"));
    }

    @Test
    void karrasNamesGiveA1111SamplerNamesAndKarrasTimesteps() {
        assertEquals("DPM++ 2M Karras", Schedulers.create("dpmpp_2m_karras", Reference.sd15Config(), 20, 0).displayName());
        assertEquals("Euler Karras", Schedulers.create("euler_karras", Reference.sd15Config(), 20, 0).displayName());
        assertEquals("LMS Karras", Schedulers.create("lms_karras", Reference.sd15Config(), 20, 0).displayName());
        assertEquals("DPM++ 2M", Schedulers.create("dpmpp_2m", Reference.sd15Config(), 20, 0).displayName());
        // the second Karras timestep is 962 (rounded) / 961.733 (Euler), plain linspace gives 946 / 946.42
        assertEquals(962, Schedulers.create("dpmpp_2m_karras", Reference.sd15Config(), 20, 0).timesteps()[1], 0.0);
        assertEquals(961.7328, Schedulers.create("euler_karras", Reference.sd15Config(), 20, 0).timesteps()[1], 1e-4);
    }

    @Test
    void theModelsKarrasFlagFollowsClassNamesAndEmptyButShortNamesFixIt() {
        JsonNode dpmKarras = Reference.sd15With("_class_name", TextNode.valueOf("DPMSolverMultistepScheduler"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) dpmKarras).put("use_karras_sigmas", true);
        assertEquals("DPM++ 2M Karras", Schedulers.create("", dpmKarras, 20, 0).displayName());
        assertEquals("DPM++ 2M Karras", Schedulers.create("DPMSolverMultistepScheduler", dpmKarras, 20, 0).displayName());
        assertEquals("DPM++ 2M", Schedulers.create("dpmpp_2m", dpmKarras, 20, 0).displayName());
        // diffusers' from_config carries the flag to another class that has it, and ignores it where a class has not
        assertEquals("Euler Karras", Schedulers.create("EulerDiscreteScheduler", dpmKarras, 20, 0).displayName());
        assertEquals("DDIM", Schedulers.create("ddim", dpmKarras, 20, 0).displayName());
        assertEquals("DPMSolverMultistepScheduler(use_karras_sigmas=True)",
                SchedulerName.of("DPMSolverMultistepScheduler", dpmKarras));
        assertEquals("PNDMScheduler", SchedulerName.of("PNDMScheduler", Reference.sd15Config()));
    }

    @Test
    void karrasOnASchedulerWithoutTheOptionIsInvalidNamingTheSchedulerAndTheKey() {
        for (String cls : List.of("DDIMScheduler", "PNDMScheduler", "EulerAncestralDiscreteScheduler")) {
            JsonNode own = Reference.sd15With("_class_name", TextNode.valueOf(cls));
            ((com.fasterxml.jackson.databind.node.ObjectNode) own).put("use_karras_sigmas", true);
            for (String requested : List.of("", cls)) {
                SdException e = assertThrows(SdException.class, () -> Schedulers.create(requested, own, 20, 0));
                assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
                assertEquals("scheduler config: use_karras_sigmas=true is not supported by " + cls
                        + "; Karras sigmas: euler_karras, dpmpp_2m_karras, lms_karras", e.getMessage());
            }
            SdException e = assertThrows(SdException.class,
                    () -> Schedulers.create(cls + "(use_karras_sigmas=True)", Reference.sd15Config(), 20, 0));
            assertEquals("scheduler: " + cls + " has no use_karras_sigmas option; Karras sigmas: euler_karras, "
                    + "dpmpp_2m_karras, lms_karras", e.getMessage());
        }
        for (String bad : List.of("ddim_karras", "EulerDiscreteScheduler_karras", "karras")) {
            SdException e = assertThrows(SdException.class, () -> Schedulers.create(bad, Reference.sd15Config(), 20, 0));
            assertTrue(e.getMessage().startsWith("scheduler: unknown '" + bad + "'"), e.getMessage());
        }
        SdException e = assertThrows(SdException.class,
                () -> Schedulers.create("euler(timestep_spacing=trailing)", Reference.sd15Config(), 20, 0));
        assertEquals("scheduler: 'euler(timestep_spacing=trailing)': the one option a name can set is "
                + "use_karras_sigmas=True or =False", e.getMessage());
    }

    @Test
    void badStepCountsAreRejected() {
        for (int steps : new int[] {0, -3, 1001}) {
            SdException e = assertThrows(SdException.class, () -> Schedulers.create("euler", Reference.sd15Config(),
                    steps, 0));
            assertTrue(e.getMessage().startsWith("steps:"), e.getMessage());
        }
    }

    @Test
    void configKeysOfOtherClassesAreIgnoredLikeDiffusers() {
        // Euler has no clip_sample / skip_prk_steps: swapping a PNDM file with them set must still work
        Scheduler s = Schedulers.create("euler", Reference.sd15With("clip_sample", BooleanNode.TRUE), 20, 0);
        assertEquals(14.614646911621094, s.initNoiseSigma(), 1e-6);
    }

    @Test
    void nonFiniteNumbersWrittenAsStringsAreRead() {
        // the fixtures' README: non-finite floats in scheduler configs are written as strings
        Scheduler s = Schedulers.create("dpmpp_2m",
                Reference.sd15With("lambda_min_clipped", TextNode.valueOf("-Infinity")), 20, 0);
        assertEquals(999, s.timesteps()[0]);
    }

    @Test
    void otherBetaSchedulesAndVPrediction() {
        Scheduler lin = Schedulers.create("ddim", Reference.sd15With("beta_schedule", TextNode.valueOf("linear")), 10, 0);
        Scheduler cos = Schedulers.create("ddim",
                Reference.sd15With("beta_schedule", TextNode.valueOf("squaredcos_cap_v2")), 10, 0);
        Scheduler v = Schedulers.create("euler", Reference.sd15With("prediction_type", TextNode.valueOf("v_prediction")),
                10, 0);
        assertTrue(lin.step(Reference.tensor(1), 901, Reference.tensor(2)).allFinite());
        assertTrue(cos.step(Reference.tensor(1), 901, Reference.tensor(2)).allFinite());
        // v-prediction Euler: x̂_0 = v·(−σ/sqrt(σ²+1)) + x/(σ²+1); check one element by hand
        float sigma = ((SigmaScheduler) v).sigmas[0];
        float sigmaNext = ((SigmaScheduler) v).sigmas[1];
        double x = Reference.tensor(2).get(3);
        double m = Reference.tensor(1).get(3);
        double x0 = m * (-sigma / Math.sqrt(sigma * (double) sigma + 1)) + x / (sigma * (double) sigma + 1);
        double want = x + (x - x0) / sigma * (sigmaNext - sigma);
        assertEquals(want, v.step(Reference.tensor(1), v.timesteps()[0], Reference.tensor(2)).get(3), 1e-4);
    }

    private static void rejects(String name, String key, JsonNode value) {
        SdException e = assertThrows(SdException.class,
                () -> Schedulers.create(name, Reference.sd15With(key, value), 20, 0), name + " " + key);
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
