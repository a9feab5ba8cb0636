package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ListModels: default_scheduler names the model's scheduler as a request can send it back; the family and the
 * per-model defaults are read from the shared folders' files (never their names).
 */
class ModelCatalogTest {

    @Test
    void defaultSchedulerCarriesTheKarrasFlagOfTheConfig(@TempDir Path dir) throws IOException {
        assertEquals("DPMSolverMultistepScheduler(use_karras_sigmas=True)", defaultScheduler(dir.resolve("a"),
                "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"use_karras_sigmas\": true}"));
        assertEquals("EulerDiscreteScheduler", defaultScheduler(dir.resolve("b"),
                "{\"_class_name\": \"EulerDiscreteScheduler\", \"use_karras_sigmas\": false}"));
        assertEquals("PNDMScheduler", defaultScheduler(dir.resolve("c"), "{\"_class_name\": \"PNDMScheduler\"}"));
    }

    private static String defaultScheduler(Path model, String schedulerConfig) throws IOException {
        Files.createDirectories(model.resolve("scheduler"));
        Files.writeString(model.resolve("model_index.json"), "{}");
        Files.writeString(model.resolve("scheduler").resolve("scheduler_config.json"), schedulerConfig);
        return ModelCatalog.info(ModelFolder.open("m", model), false).getDefaultScheduler();
    }

    private static ModelInfo info(String name) {
        return ModelCatalog.info(ModelFolder.open(name, SharedFixtures.modelsRoot().resolve(name)), false);
    }

    @Test
    void familyAndDefaultsOfEachSharedModel() {
        SharedFixtures.assume();
        ModelInfo sd = info("tiny-sd15");
        assertEquals("sd15", sd.getKind());
        assertEquals(50, sd.getDefaultSteps());
        assertEquals(7.5, sd.getDefaultGuidance());

        ModelInfo xl = info("tiny-sdxl");
        assertEquals("sdxl", xl.getKind());
        assertEquals("EulerDiscreteScheduler", xl.getDefaultScheduler());
        assertEquals(50, xl.getDefaultSteps());
        assertEquals(5.0, xl.getDefaultGuidance());
        assertEquals(256, xl.getNativeHeight());

        ModelInfo turbo = info("tiny-sdxl-turbo");
        assertEquals("sdxl", turbo.getKind());
        assertEquals("EulerAncestralDiscreteScheduler", turbo.getDefaultScheduler());
        assertEquals(1, turbo.getDefaultSteps());
        assertEquals(0.0, turbo.getDefaultGuidance());
    }

    @Test
    void cacheBranchesComeFromTheUnetsUpBlocks() {
        SharedFixtures.assume();
        assertEquals(12, ModelDefaults.of(ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel())).cacheBranches());
        assertEquals(9, ModelDefaults.of(ModelFolder.open("tiny-sdxl",
                SharedFixtures.modelsRoot().resolve("tiny-sdxl"))).cacheBranches());
    }
}
