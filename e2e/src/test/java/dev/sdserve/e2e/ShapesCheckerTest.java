package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.Png;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ShapesChecker} and {@link ShapesWorld}'s grammar on ground-truth renderings ({@link ShapesRenderer}),
 * where checker.py scores 100 % (tools/train/RESULTS.md, "Checker validation"): every one-shape scene of the
 * grammar, a few two-shape scenes, and images that must score zero.
 */
class ShapesCheckerTest {

    @Test
    void captionsRoundTripThroughTheGrammar() {
        String one = "a orange triangle in the center on a yellow background";
        ShapesWorld.Caption c = ShapesWorld.parse(one);
        assertEquals(List.of(new ShapesWorld.Shape("orange", "triangle", "center")), c.shapes());
        assertEquals("yellow", c.background());
        assertEquals(one, c.text());

        String two = "a red circle on the left and a green square at the top on a blue background";
        ShapesWorld.Caption t = ShapesWorld.parse("  A Red circle on the left and a green SQUARE at the top on a blue background ");
        assertEquals(List.of(new ShapesWorld.Shape("red", "circle", "left"), new ShapesWorld.Shape("green", "square", "top")),
                t.shapes());
        assertEquals(two, t.text());

        ShapesWorld.Caption noBg = ShapesWorld.parse("a white square at the bottom");
        assertNull(noBg.background());
        assertEquals("a white square at the bottom", noBg.text());
    }

    @Test
    void textOutsideTheGrammarIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapesWorld.parse("a pink circle on the left on a blue background"));
        assertTrue(e.getMessage().contains("pink"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShapesWorld.parse("a red circle on a blue background"));
        assertThrows(IllegalArgumentException.class, () -> ShapesWorld.parse("a red hexagon on the left"));
    }

    @Test
    void everyOneShapeSceneOfTheGrammarScoresFullMarks() {
        Random random = new Random(7);
        List<ShapesChecker.Score> scores = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (String bg : ShapesWorld.COLORS) {
            for (String color : ShapesWorld.COLORS) {
                if (color.equals(bg)) continue;
                for (String shape : ShapesWorld.SHAPES) {
                    for (String pos : ShapesWorld.POSITIONS) {
                        ShapesWorld.Caption c = ShapesWorld.single(color, shape, pos, bg);
                        ShapesChecker.Score s = ShapesChecker.score(ShapesRenderer.render(c, random), c.text());
                        scores.add(s);
                        if (!s.allRight()) wrong.add(c.text() + ": " + s);
                    }
                }
            }
        }
        assertEquals(8 * 7 * 3 * 5, scores.size());
        assertEquals(List.of(), wrong);
        assertEquals(1.0, ShapesChecker.Accuracy.of(scores).all());
    }

    @Test
    void fillRatiosMatchTheDocumentedRanges() {
        // checker.py's docstring: on rendered ground truth square 1.0, circle 0.76-0.81, triangle 0.50-0.53
        for (double size : new double[] {17, 19.5, 22}) {
            assertEquals(1.0, fill("square", size), 1e-9);
            assertInRange(fill("circle", size), 0.76, 0.81);
            assertInRange(fill("triangle", size), 0.50, 0.53);
        }
    }

    @Test
    void twoShapeScenesAreMatchedByPosition() {
        Random random = new Random(11);
        String[][] scenes = {
            {"a red circle on the left and a green square on the right on a blue background", "left", "right"},
            {"a yellow triangle at the bottom and a black circle at the top on a white background", "bottom", "top"},
            {"a purple square on the right and a orange triangle on the left on a green background", "right", "left"},
        };
        for (String[] scene : scenes) {
            ShapesWorld.Caption c = ShapesWorld.parse(scene[0]);
            ShapesChecker.Score s = ShapesChecker.score(ShapesRenderer.render(c, random), scene[0]);
            assertTrue(s.allRight(), scene[0] + ": " + s);
            assertEquals(2, s.measured().blobs().size());
        }
        // the same image against the prompt with the two positions swapped: colours and shapes go to the wrong blob
        String swapped = "a red circle on the right and a green square on the left on a blue background";
        Png.Rgb img = ShapesRenderer.render(ShapesWorld.parse(scenes[0][0]), new Random(3));
        ShapesChecker.Score s = ShapesChecker.score(img, swapped);
        assertEquals(1.0, s.position());
        assertEquals(0.0, s.color());
        assertEquals(0.0, s.shape());
    }

    @Test
    void aWrongPromptOrAnEmptyImageScoresZero() {
        Png.Rgb redCircle = ShapesRenderer.render(ShapesWorld.single("red", "circle", "left", "blue"), new Random(1));
        ShapesChecker.Score s = ShapesChecker.score(redCircle, "a green square on the right on a yellow background");
        assertEquals(List.of(0.0, 0.0, 0.0, 0.0), List.of(s.background(), s.color(), s.position(), s.shape()));

        // a plain background: nothing in the foreground, so only the background can be right
        Png.Rgb plain = ShapesRenderer.render(new ShapesWorld.Caption(List.of(), "white"), new double[0], new double[0],
                new double[0]);
        ShapesChecker.Score p = ShapesChecker.score(plain, "a red circle on the left on a white background");
        assertEquals(List.of(1.0, 0.0, 0.0, 0.0), List.of(p.background(), p.color(), p.position(), p.shape()));
        assertEquals(List.of(), p.measured().blobs());

        // a blob below MIN_PIXELS is noise: a 5x5 square (25 px) is ignored, a 6x6 one (36 px) is not
        assertEquals(0, ShapesChecker.measure(square(5), 1).blobs().size());
        assertEquals(36, ShapesChecker.measure(square(6), 1).blobs().get(0).pixels());
    }

    @Test
    void medianAndFrameFollowNumpy() {
        assertEquals(2.5, ShapesChecker.median(new double[] {4, 1, 3, 2}));
        assertEquals(3.0, ShapesChecker.median(new double[] {5, 1, 3}));
        // a frame of 2048 samples (corners twice): 1024 black and 1024 white samples give the mean of the middle two
        Png.Rgb half = halfBlackHalfWhite();
        double[] bg = ShapesChecker.frameMedian(half.rgb(), half.width(), half.height());
        assertEquals(127.5, bg[0]);
    }

    private static double fill(String shape, double size) {
        ShapesWorld.Caption c = ShapesWorld.single("red", shape, "center", "blue");
        Png.Rgb img = ShapesRenderer.render(c, new double[] {64.3}, new double[] {63.8}, new double[] {size});
        return ShapesChecker.measure(img, 1).blobs().get(0).fill();
    }

    private static void assertInRange(double v, double lo, double hi) {
        assertTrue(v >= lo && v <= hi, v + " not in [" + lo + ", " + hi + "]");
    }

    /** A white square of side {@code side} px at (60, 60) on black. */
    private static Png.Rgb square(int side) {
        byte[] rgb = new byte[128 * 128 * 3];
        for (int y = 60; y < 60 + side; y++) {
            for (int x = 60; x < 60 + side; x++) java.util.Arrays.fill(rgb, 3 * (y * 128 + x), 3 * (y * 128 + x) + 3, (byte) 255);
        }
        return new Png.Rgb(128, 128, rgb);
    }

    /** Left half black, right half white: the frame has as many black as white samples. */
    private static Png.Rgb halfBlackHalfWhite() {
        byte[] rgb = new byte[128 * 128 * 3];
        for (int y = 0; y < 128; y++) {
            for (int x = 64; x < 128; x++) java.util.Arrays.fill(rgb, 3 * (y * 128 + x), 3 * (y * 128 + x) + 3, (byte) 255);
        }
        return new Png.Rgb(128, 128, rgb);
    }
}
