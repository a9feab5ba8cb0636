package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class VaeImagesTest {

    @Test
    void decoderOutputBecomesClampedNhwc() {
        // [1, 3, 1, 2]: channel-major in, pixel-major out, x/2+0.5 clamped to [0, 1].
        FloatTensor decoded = FloatTensor.of(new long[] {1, 3, 1, 2}, new float[] {-3f, 0f, 0.5f, 3f, -1f, 1f});
        FloatTensor image = VaeImages.toImage(decoded);
        assertArrayEquals(new long[] {1, 1, 2, 3}, image.shape());
        assertArrayEquals(new float[] {0f, 0.75f, 0f, 0.5f, 1f, 1f}, image.toArray());
    }

    @Test
    void quantizeRoundsHalfToEvenLikeNumpy() {
        float tie = tieAt(126.5f); // numpy: 126 (even); round-half-up would give 127
        assertEquals(126, VaeImages.quantize(tie));
        assertEquals(128, VaeImages.quantize(0.5f)); // 127.5 -> 128 (even)
        assertEquals(0, VaeImages.quantize(0f));
        assertEquals(255, VaeImages.quantize(1f));
    }

    /** A float y with y * 255 == target exactly in float32. */
    private static float tieAt(float target) {
        float y = target / 255f;
        for (int i = 0; i < 8 && y * 255f != target; i++) y = y * 255f < target ? Math.nextUp(y) : Math.nextDown(y);
        assertEquals(target, y * 255f, "found an exact tie");
        return y;
    }

    /** README: image.png = round(image.f32 * 255). Our quantizer must reproduce every fixture PNG exactly. */
    @Test
    void quantizingReferenceFloatsGivesTheReferencePngs() throws IOException {
        List<Path> dirs;
        try (Stream<Path> cases = Files.list(SharedFixtures.fixtures().resolve("cases"));
             Stream<Path> img2img = Files.list(SharedFixtures.fixtures().resolve("img2img"))) {
            dirs = Stream.concat(cases, img2img).filter(d -> Files.exists(d.resolve("image.f32"))).sorted().toList();
        }
        assertTrue(dirs.size() >= 19, "fixture cases found: " + dirs.size());
        for (Path dir : dirs) {
            Png.Rgb rgb = VaeImages.toRgb(SharedFixtures.tensor(dir.resolve("image.f32"))).get(0);
            Png.Rgb want = Png.decode(Files.readAllBytes(dir.resolve("image.png")), "image.png", 1 << 20);
            assertArrayEquals(want.rgb(), rgb.rgb(), dir.getFileName().toString());
        }
    }

    @Test
    void unscaleDividesAndSignedMapsToMinusOneOne() {
        FloatTensor t = FloatTensor.of(new long[] {3}, new float[] {1f, -2f, 0.18215f});
        assertArrayEquals(new float[] {1f / 0.18215f, -2f / 0.18215f, 1f}, VaeImages.unscale(t, 0.18215f).toArray());
        FloatTensor p = FloatTensor.of(new long[] {3}, new float[] {0f, 0.5f, 1f});
        assertArrayEquals(new float[] {-1f, 0f, 1f}, VaeImages.toSigned(p).toArray());
    }
}
