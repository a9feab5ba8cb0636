package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SharedFixtures;
import org.junit.jupiter.api.Test;

/** ListModels' family and per-model defaults, read from the shared folders' files (never their names). */
class ModelCatalogTest {

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
