package dev.sdserve.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The synthetic "shapes" world of {@code models/shapes-sd-tiny}, ported from {@code tools/train/shapes.py}:
 * the named palette, shapes, positions with their anchors (pixels of a 128x128 image) and the caption grammar
 * ({@code a red circle on the left [and a ...] [on a blue background]}). Iteration orders follow the Python
 * dicts, because the checker breaks ties by that order.
 */
final class ShapesWorld {
    static final int IMAGE_SIZE = 128;

    /** Named colours, RGB 0..255, in shapes.py's order. */
    static final Map<String, int[]> PALETTE = ordered(
            "red", new int[] {220, 30, 30}, "green", new int[] {30, 160, 50}, "blue", new int[] {30, 60, 220},
            "yellow", new int[] {240, 220, 40}, "purple", new int[] {140, 40, 170},
            "orange", new int[] {245, 140, 20}, "white", new int[] {245, 245, 245}, "black", new int[] {20, 20, 20});
    static final List<String> COLORS = List.copyOf(PALETTE.keySet());
    static final List<String> SHAPES = List.of("circle", "square", "triangle");
    /** Centre of each named position, (x, y) pixels, in shapes.py's order. */
    static final Map<String, double[]> ANCHORS = ordered(
            "left", new double[] {32, 64}, "right", new double[] {96, 64}, "top", new double[] {64, 32},
            "bottom", new double[] {64, 96}, "center", new double[] {64, 64});
    static final List<String> POSITIONS = List.copyOf(ANCHORS.keySet());
    private static final Map<String, String> PREPOSITION = Map.of(
            "left", "on", "right", "on", "top", "at", "bottom", "at", "center", "in");

    private ShapesWorld() {
    }

    /** One shape of a caption. */
    record Shape(String color, String shape, String position) {
        Shape {
            requireIn(COLORS, color, "colour");
            requireIn(SHAPES, shape, "shape");
            requireIn(POSITIONS, position, "position");
        }

        String phrase() {
            return "a " + color + " " + shape + " " + PREPOSITION.get(position) + " the " + position;
        }
    }

    /** A parsed caption: one or two shapes and the background colour, or null when the clause is left out. */
    record Caption(List<Shape> shapes, String background) {
        Caption {
            shapes = List.copyOf(shapes);
            if (background != null) requireIn(COLORS, background, "background colour");
        }

        /** shapes.caption(): the prompt text. */
        String text() {
            StringBuilder s = new StringBuilder();
            for (Shape sh : shapes) s.append(s.length() > 0 ? " and " : "").append(sh.phrase());
            if (background != null) s.append(" on a ").append(background).append(" background");
            return s.toString();
        }
    }

    /** A one-shape caption with a background, e.g. {@code single("red", "circle", "left", "blue")}. */
    static Caption single(String color, String shape, String position, String background) {
        return new Caption(List.of(new Shape(color, shape, position)), background);
    }

    /**
     * shapes.parse_caption(): the inverse of {@link Caption#text()}. Words are split on white space and
     * lower-cased; a trailing {@code on a <colour> background} is the background; the rest is shape phrases
     * joined by {@code and}, each {@code a <colour> <shape> <prep> the <position>}.
     *
     * @throws IllegalArgumentException for text outside the grammar (shapes.py would fail with an IndexError)
     */
    static Caption parse(String text) {
        List<String> words = new ArrayList<>(List.of(text.strip().toLowerCase(Locale.ROOT).split("\\s+")));
        String background = null;
        if (words.size() >= 4 && words.get(words.size() - 1).equals("background")) {
            background = words.get(words.size() - 2);
            words = words.subList(0, words.size() - 4);
        }
        List<Shape> shapes = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        words = new ArrayList<>(words);
        words.add("and");
        for (String w : words) {
            if (!w.equals("and")) {
                cur.add(w);
                continue;
            }
            if (!cur.isEmpty()) {
                if (cur.size() < 6) throw new IllegalArgumentException("not a shape phrase: '" + String.join(" ", cur)
                        + "' in caption '" + text + "'");
                shapes.add(new Shape(cur.get(1), cur.get(2), cur.get(5)));
            }
            cur = new ArrayList<>();
        }
        return new Caption(shapes, background);
    }

    static int[] rgb(String color) {
        return PALETTE.get(color);
    }

    private static void requireIn(List<String> names, String value, String what) {
        if (!names.contains(value)) throw new IllegalArgumentException("unknown " + what + " '" + value + "'; one of " + names);
    }

    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> ordered(Object... kv) {
        Map<String, V> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (V) kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
