package dev.sdserve.orchestrator.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The pipeline, img2img and Karras cases of ../shared/fixtures/tiny-sd15 (tests skip when absent). */
public final class FixtureCases {
    private FixtureCases() {
    }

    /** Every cases/<id> folder, sorted. */
    public static List<Path> pipelineCases() {
        return folders(SharedFixtures.fixtures().resolve("cases"));
    }

    /** Every img2img/<id> folder, sorted. */
    public static List<Path> img2imgCases() {
        return folders(SharedFixtures.fixtures().resolve("img2img"));
    }

    /** Every karras/<id> folder, sorted. */
    public static List<Path> karrasCases() {
        return folders(SharedFixtures.fixtures().resolve("karras"));
    }

    public static JsonNode caseJson(Path dir) {
        return SharedFixtures.json(dir.resolve("case.json"));
    }

    /** The model's scheduler_config.json (SD 1.5's PNDM file), which every case swapped from. */
    public static JsonNode modelSchedulerConfig() {
        return SharedFixtures.json(SharedFixtures.tinyModel().resolve("scheduler").resolve("scheduler_config.json"));
    }

    /** The scheduler a case ran: its class (with its Karras flag), swapped from the model's config, at its steps and seed. */
    public static Scheduler scheduler(JsonNode caseJson) {
        return Schedulers.create(requestedName(caseJson), modelSchedulerConfig(),
                caseJson.path("num_inference_steps").asInt(), caseJson.path("seed").asLong());
    }

    /** The name a request sends for a case's scheduler: "DPMSolverMultistepScheduler(use_karras_sigmas=True)" etc. */
    public static String requestedName(JsonNode caseJson) {
        JsonNode s = caseJson.path("scheduler");
        return SchedulerName.of(s.path("class").asText(), s.path("config"));
    }

    public static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }

    private static List<Path> folders(Path root) {
        try (Stream<Path> s = Files.list(root)) {
            List<Path> out = s.filter(p -> Files.isRegularFile(p.resolve("case.json"))).sorted().toList();
            if (out.isEmpty()) throw new IllegalStateException("no cases under " + root);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
