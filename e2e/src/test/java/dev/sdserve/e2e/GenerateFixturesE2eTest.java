package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.sdserve.orchestrator.scheduler.SchedulerName;
import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.InitImage;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ImageDiff;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pipeline case of the fixtures (17 text-to-image, 2 img2img, 3 Karras) through the public Generate API with
 * all four services running as processes: the reference's initial latents (img2img: its noise and init.png) go in,
 * and the final latents must match within 1e-3, the PNG within 1 level on at most 0.1% of values, the progress
 * events must carry the reference's timesteps and DeepCacheSDHelper's FULL/SHALLOW pattern, and a Karras case's
 * PNG must name its A1111 sampler. One line per case goes to target/e2e-results.txt.
 */
class GenerateFixturesE2eTest {
    private static final float LATENT_TOLERANCE = 1e-3f;
    /** A1111's sampler names of the Karras cases' schedulers, as the PNG's parameters text must give them. */
    private static final Map<String, String> KARRAS_SAMPLERS = Map.of("DPMSolverMultistepScheduler", "DPM++ 2M Karras",
            "EulerDiscreteScheduler", "Euler Karras", "LMSDiscreteScheduler", "LMS Karras");

    static Stream<String> cases() {
        if (!SharedFixtures.present()) return Stream.of("cases/(shared fixtures absent)");
        return Stream.of("cases", "img2img", "karras").flatMap(group -> list(group).stream().map(id -> group + "/" + id));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReference(String path) {
        ServiceCluster cluster = Cluster.get();
        Path dir = SharedFixtures.fixtures().resolve(path);
        JsonNode c = SharedFixtures.json(dir.resolve("case.json"));
        Generations g = Generations.run(cluster, request(dir, c));

        assertNotNull(g.result(), "no result event");
        assertNotNull(g.timings(), "no timings event");
        GeneratedImage img = g.result().getImages(0);
        FloatTensor latents = TensorCodec.fromProto(img.getLatents(), "latents");
        float diff = latents.maxAbsDiff(SharedFixtures.tensor(dir.resolve("latents_final.f32"), 1, 4, 32, 32));
        ImageDiff image = ImageDiff.of(read(dir.resolve("image.png")), img.getPng().toByteArray());
        record(path, diff, image, g);

        assertEquals(fullPattern(c), g.progress().stream().map(p -> p.getMode() == StepMode.FULL).toList(),
                "FULL/SHALLOW pattern of the progress events");
        // the reference records float32 timesteps (int64 for DPM++); compare at float32 precision
        assertEquals(callTimesteps(c), g.progress().stream().map(p -> (float) p.getTimestep()).toList(),
                "timesteps of the progress events");
        JsonNode scheduler = c.path("scheduler");
        if (scheduler.path("config").path("use_karras_sigmas").asBoolean(false)) {
            String parameters = Png.readText(img.getPng().toByteArray()).get("parameters");
            String sampler = "Sampler: " + KARRAS_SAMPLERS.get(scheduler.path("class").asText()) + ",";
            assertTrue(parameters != null && parameters.contains(sampler), sampler + " not in " + parameters);
        }
        g.progress().stream().filter(p -> p.getMode() == StepMode.SHALLOW)
                .forEach(p -> assertTrue(p.getCacheHit(), "SHALLOW step " + p.getIndex() + " without a cache hit"));
        assertTrue(diff <= LATENT_TOLERANCE, path + ": final latents differ by " + diff);
        assertTrue(image.withinFixtureTolerance(), path + ": " + image);
    }

    private static GenerateRequest request(Path dir, JsonNode c) {
        boolean img2img = c.has("strength");
        GenerateRequest.Builder r = GenerateRequest.newBuilder().setModel("tiny-sd15")
                .setPrompt(c.path("prompt").asText()).setNegativePrompt(c.path("negative_prompt").asText(""))
                .setSteps(c.path("num_inference_steps").asInt()).setGuidance(c.path("guidance_scale").asDouble())
                .setSeed(c.path("seed").asLong()).setHeight(c.path("height").asInt()).setWidth(c.path("width").asInt())
                .setScheduler(SchedulerName.of(c.path("scheduler").path("class").asText(), c.path("scheduler").path("config")))
                .setReturnLatents(true)
                .setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(c.path("deepcache").path("cache_interval").asInt(1))
                        .setCacheBranchId(c.path("deepcache").path("cache_branch_id").asInt(0)));
        String noise = img2img ? "noise.f32" : "latents_init.f32";
        r.setInitialLatents(TensorCodec.toProto(SharedFixtures.tensor(dir.resolve(noise), 1, 4, 32, 32)));
        if (img2img) {
            r.setInitImage(InitImage.newBuilder().setEncodedImage(ByteString.copyFrom(read(dir.resolve("init.png"))))
                    .setStrength(c.path("strength").asDouble()));
        }
        return r.build();
    }

    private static List<Boolean> fullPattern(JsonNode c) {
        List<Boolean> out = new ArrayList<>();
        c.path("unet_calls").forEach(call -> out.add(call.path("full_unet").asBoolean()));
        return out;
    }

    private static List<Float> callTimesteps(JsonNode c) {
        List<Float> out = new ArrayList<>();
        c.path("unet_calls").forEach(call -> out.add((float) call.path("t").asDouble()));
        return out;
    }

    private static void record(String path, float diff, ImageDiff image, Generations g) {
        long full = g.progress().stream().filter(p -> p.getMode() == StepMode.FULL).count();
        Results.append(String.format(Locale.ROOT, "%-28s calls %2d full %2d  max |latent diff| %.3e  image: %s  [%s]",
                path, g.progress().size(), full, diff, image, g.timings() == null ? "" : Results.timings(g.timings())));
    }

    private static List<String> list(String group) {
        try (Stream<Path> s = Files.list(SharedFixtures.fixtures().resolve(group))) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
