package dev.sdserve.orchestrator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ImageDiff;
import dev.sdserve.runtime.SharedFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole pipeline without servers, against diffusers' reference runs: every plain (dc1) text-to-image case
 * (Karras ones included) and both img2img cases, with the tiny model's ONNX files run in-process. Final latents (and every step's,
 * where the fixture has them) within the README's 1e-3; the 8-bit image within 1 level on at most 0.1% of
 * values. The DeepCache cases need the shallow graph and run end to end in the e2e module.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineFixturesTest {
    private static final float LATENT_TOLERANCE = 1e-3f;

    private InProcessStages stages;
    private ModelFolder model;

    @BeforeAll
    void openModels() {
        SharedFixtures.assume();
        model = ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel());
        stages = new InProcessStages(model);
        // img2img cases use P1 and "" like the p1 cases, whose encoder outputs the fixtures hold
        for (String id : List.of("pndm_p1_dc1", "pndm_p2_dc1")) {
            FixtureCase c = FixtureCase.of("cases", id);
            stages.embed(c.json().path("prompt").asText(), c.dir().resolve("prompt_embeds.f32"));
            stages.embed(c.json().path("negative_prompt").asText(), c.dir().resolve("negative_embeds.f32"));
        }
    }

    @AfterAll
    void close() {
        if (stages != null) stages.close();
    }

    static Stream<String> plainCases() {
        return Stream.of("cases", "karras", "img2img").flatMap(g -> FixtureCase.ids(g).stream()
                .filter(id -> g.equals("img2img") || id.endsWith("_dc1")).map(id -> g + "/" + id));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plainCases")
    void matchesDiffusers(String path) {
        FixtureCase c = FixtureCase.of(path.substring(0, path.indexOf('/')), path.substring(path.indexOf('/') + 1));
        List<FloatTensor> steps = new ArrayList<>();
        GenerationListener record = new GenerationListener() {
            @Override
            public void latents(int index, FloatTensor latents) {
                steps.add(latents);
            }
        };
        GenerationResult r = new Pipeline(stages.clients()).generate(c.request(model), record, new Cancellation());

        assertEquals(c.fullPattern().size(), steps.size(), "UNet calls");
        assertStepsMatch(c, steps);
        FloatTensor last = r.images().get(0).latents().orElseThrow();
        float diff = last.maxAbsDiff(c.tensor("latents_final.f32"));
        assertTrue(diff <= LATENT_TOLERANCE, c.id() + ": final latents differ by " + diff);
        assertImageMatches(c, r.images().get(0).png());
        assertEquals(0, stages.openSessions, "UNet session left open");
    }

    private static void assertStepsMatch(FixtureCase c, List<FloatTensor> steps) {
        if (!java.nio.file.Files.isRegularFile(c.dir().resolve("latents_steps.f32"))) return;
        float[] all = SharedFixtures.f32(c.dir().resolve("latents_steps.f32"));
        int per = steps.get(0).size();
        for (int i = 0; i < steps.size(); i++) {
            float[] ref = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
            float diff = steps.get(i).maxAbsDiff(FloatTensor.of(steps.get(i).shape(), ref));
            assertTrue(diff <= LATENT_TOLERANCE, c.id() + ": latents after call " + i + " differ by " + diff);
        }
    }

    /** At most 1 level on at most 0.1% of the 8-bit values (README tolerance). */
    private static void assertImageMatches(FixtureCase c, byte[] png) {
        ImageDiff d = ImageDiff.of(c.bytes("image.png"), png);
        assertTrue(d.withinFixtureTolerance(), c.id() + ": " + d);
    }
}
