package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sdserve.runtime.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ListModels' default_scheduler names the model's scheduler as a request can send it back. */
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
}
