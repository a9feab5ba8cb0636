package dev.sdserve.orchestrator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SharedFixtures;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture case (17 text-to-image, 2 img2img, 3 Karras): the loop calls the UNet at exactly the reference's
 * timesteps and asks for FULL exactly where DeepCacheSDHelper ran the full UNet (case.json unet_calls).
 */
class DeepCachePatternTest {

    static Stream<String> allCases() {
        return Stream.of("cases", "img2img", "karras").flatMap(g -> FixtureCase.ids(g).stream().map(id -> g + "/" + id));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void requestsTheReferencePattern(String path) {
        SharedFixtures.assume();
        FixtureCase c = FixtureCase.of(path.substring(0, path.indexOf('/')), path.substring(path.indexOf('/') + 1));
        RecordingStages stages = new RecordingStages();
        GenerationRequest req = c.request(ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel()));
        new Pipeline(stages.clients()).generate(req, GenerationListener.NONE, new Cancellation());

        List<Boolean> full = stages.modes.stream().map(m -> m == StepMode.FULL).toList();
        assertEquals(c.fullPattern(), full, "FULL/SHALLOW pattern");
        // the reference prints float32 timesteps; compare at float32 precision
        assertEquals(c.callTimesteps().stream().map(Double::floatValue).toList(),
                stages.timesteps.stream().map(Double::floatValue).toList(), "UNet call timesteps");
        long batch = req.cfg() ? 2 : 1;
        stages.sampleShapes.forEach(s -> assertEquals(batch, s[0], "UNet batch"));
        assertEquals(1, stages.closed.get(), "the session is closed once");
    }
}
