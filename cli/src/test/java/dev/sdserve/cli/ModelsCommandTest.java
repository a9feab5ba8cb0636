package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.proto.v1.ModelInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code sd models}' table: one line per model with its family and the defaults a request gets. */
class ModelsCommandTest {

    @Test
    void printsFamilyAndDefaults() {
        ListModelsResponse r = ListModelsResponse.newBuilder().setDefaultModel("tiny-sd15")
                .addModels(ModelInfo.newBuilder().setName("tiny-sd15").setKind("sd15").setDefaultScheduler("PNDMScheduler")
                        .setNativeHeight(256).setNativeWidth(256).setDefaultSteps(50).setDefaultGuidance(7.5)
                        .setDtype("float32").setRoot("/m"))
                .addModels(ModelInfo.newBuilder().setName("tiny-sdxl-turbo").setKind("sdxl")
                        .setDefaultScheduler("EulerAncestralDiscreteScheduler").setNativeHeight(256).setNativeWidth(256)
                        .setDefaultSteps(1).setDefaultGuidance(0).setDtype("float32").setLoaded(true).setRoot("/m"))
                .build();
        StringWriter s = new StringWriter();
        ModelsCommand.print(r, new PrintWriter(s));
        List<String> lines = s.toString().lines().toList();
        assertEquals(4, lines.size(), s.toString());
        assertEquals(List.of("model", "family", "scheduler", "size", "steps", "guidance", "dtype", "loaded", "root"),
                List.of(lines.get(0).trim().split("\\s+")));
        assertEquals(List.of("tiny-sd15", "*", "sd15", "PNDMScheduler", "256x256", "50", "7.5", "float32", "no", "/m"),
                List.of(lines.get(1).trim().split("\\s+")));
        assertEquals(List.of("tiny-sdxl-turbo", "sdxl", "EulerAncestralDiscreteScheduler", "256x256", "1", "0", "float32",
                "yes", "/m"), List.of(lines.get(2).trim().split("\\s+")));
        assertTrue(lines.get(3).contains("default model"));
    }
}
