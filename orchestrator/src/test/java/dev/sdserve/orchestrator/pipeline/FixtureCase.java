package dev.sdserve.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.orchestrator.scheduler.FixtureCases;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** One pipeline case of the fixtures (cases/, img2img/ or karras/) and the request that replays it. */
record FixtureCase(String id, Path dir, JsonNode json) {

    static FixtureCase of(String group, String id) {
        Path dir = SharedFixtures.fixtures().resolve(group).resolve(id);
        return new FixtureCase(id, dir, SharedFixtures.json(dir.resolve("case.json")));
    }

    /** The ids under {@code cases/}, {@code img2img/} or {@code karras/}. */
    static List<String> ids(String group) {
        if (!SharedFixtures.present()) return List.of();
        try (Stream<Path> s = Files.list(SharedFixtures.fixtures().resolve(group))) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean img2img() {
        return json.has("strength");
    }

    FloatTensor tensor(String file) {
        return SharedFixtures.tensor(dir.resolve(file), 1, 4, 32, 32);
    }

    /** The requested DeepCache pattern: case.json unet_calls[].full_unet. */
    List<Boolean> fullPattern() {
        List<Boolean> out = new ArrayList<>();
        json.path("unet_calls").forEach(c -> out.add(c.path("full_unet").asBoolean()));
        return out;
    }

    List<Double> callTimesteps() {
        List<Double> out = new ArrayList<>();
        json.path("unet_calls").forEach(c -> out.add(c.path("t").asDouble()));
        return out;
    }

    /**
     * The request that replays the case: its latents (or img2img noise + init.png), scheduler (with its Karras
     * flag), CFG, interval.
     */
    GenerationRequest request(ModelFolder model) {
        double guidance = json.path("guidance_scale").asDouble();
        CacheParams cache = CacheParams.uniform(json.path("deepcache").path("cache_interval").asInt(1),
                json.path("deepcache").path("cache_branch_id").asInt(0));
        Optional<InitImage> init = Optional.empty();
        FloatTensor latents;
        if (img2img()) {
            init = Optional.of(InitImage.ofEncoded(bytes("init.png"), json.path("strength").asDouble()));
            latents = tensor("noise.f32");
        } else {
            latents = tensor("latents_init.f32");
        }
        return new GenerationRequest(model, json.path("prompt").asText(), json.path("negative_prompt").asText(""), 1,
                json.path("num_inference_steps").asInt(), guidance, json.path("seed").asLong(),
                json.path("height").asInt(), json.path("width").asInt(), FixtureCases.requestedName(json),
                1, cache, 0, Optional.of(latents), init, true);
    }

    byte[] bytes(String file) {
        try {
            return Files.readAllBytes(dir.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
