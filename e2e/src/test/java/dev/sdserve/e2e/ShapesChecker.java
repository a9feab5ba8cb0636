package dev.sdserve.e2e;

import dev.sdserve.runtime.Png;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores an RGB image against its shapes prompt: a port of {@code tools/train/checker.py} with the same
 * constants and rules, so that the Java e2e test measures what the training report measured.
 * <ol>
 * <li>background = per-channel median of a {@value #BORDER}-pixel frame (top rows, bottom rows, left columns,
 * right columns; corners count twice, as numpy's concatenation does), mapped to the nearest named colour;</li>
 * <li>foreground = pixels farther than {@value #FG_DISTANCE} (Euclidean RGB) from the measured background,
 * split into 4-connected components, largest first; one below {@value #MIN_PIXELS} pixels ends the list;</li>
 * <li>per component: colour = nearest named colour to its per-channel median, position = nearest anchor to its
 * centroid (pixel centres, +0.5), shape by fill = pixels / inclusive bounding box: &lt; 0.64 triangle,
 * &lt; 0.89 circle, else square;</li>
 * <li>the prompt's shapes take, in order, the remaining blob whose centroid is closest to their anchor.</li>
 * </ol>
 * Ties go to the first candidate in the Python order (palette order, anchor order, blob order).
 */
final class ShapesChecker {
    static final double FG_DISTANCE = 60.0;
    static final int MIN_PIXELS = 30;
    static final int BORDER = 4;
    static final double TRIANGLE_MAX_FILL = 0.64;
    static final double CIRCLE_MAX_FILL = 0.89;

    private ShapesChecker() {
    }

    /** One foreground component, measured. */
    record Blob(String color, String position, String shape, double fill, double cx, double cy, int pixels) {
    }

    /** The measured background colour name (and its median RGB) plus up to k blobs, largest first. */
    record Measurement(String background, double[] backgroundRgb, List<Blob> blobs) {
    }

    /** Each attribute in [0,1] (the mean over the prompt's shapes), plus the raw measurement. */
    record Score(double background, double color, double position, double shape, Measurement measured) {
        boolean allRight() {
            return background == 1.0 && color == 1.0 && position == 1.0 && shape == 1.0;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "bg %.2f colour %.2f position %.2f shape %.2f; measured bg %s, blobs %s",
                    background, color, position, shape, measured.background(), measured.blobs());
        }
    }

    /** checker.score(): scores {@code image} against {@code prompt} (a caption of {@link ShapesWorld}'s grammar). */
    static Score score(Png.Rgb image, String prompt) {
        ShapesWorld.Caption want = ShapesWorld.parse(prompt);
        int n = want.shapes().size();
        Measurement m = measure(image, n);
        List<Blob> blobs = new ArrayList<>(m.blobs());
        double color = 0, position = 0, shape = 0;
        for (ShapesWorld.Shape s : want.shapes()) {
            if (blobs.isEmpty()) break;
            double[] a = ShapesWorld.ANCHORS.get(s.position());
            int best = 0;
            for (int i = 1; i < blobs.size(); i++) {
                if (dist2(blobs.get(i), a) < dist2(blobs.get(best), a)) best = i;
            }
            Blob b = blobs.remove(best);
            color += (b.color().equals(s.color()) ? 1.0 : 0.0) / n;
            position += (b.position().equals(s.position()) ? 1.0 : 0.0) / n;
            shape += (b.shape().equals(s.shape()) ? 1.0 : 0.0) / n;
        }
        double background = want.background() == null || m.background().equals(want.background()) ? 1.0 : 0.0;
        return new Score(background, color, position, shape, m);
    }

    /** checker.measure(): the background colour and up to {@code k} blobs of {@code image}. */
    static Measurement measure(Png.Rgb image, int k) {
        int w = image.width();
        int h = image.height();
        byte[] px = image.rgb();
        double[] bg = frameMedian(px, w, h);
        boolean[] mask = new boolean[w * h];
        for (int i = 0; i < mask.length; i++) {
            double d2 = 0;
            for (int c = 0; c < 3; c++) {
                double d = (px[3 * i + c] & 0xff) - bg[c];
                d2 += d * d;
            }
            mask[i] = Math.sqrt(d2) > FG_DISTANCE;
        }
        List<Blob> blobs = new ArrayList<>();
        for (int[] comp : Components.of(mask, w, h)) {
            if (blobs.size() == k || comp.length < MIN_PIXELS) break;
            blobs.add(blob(px, w, comp));
        }
        return new Measurement(nearestColor(bg), bg, List.copyOf(blobs));
    }

    private static Blob blob(byte[] px, int w, int[] comp) {
        int minX = Integer.MAX_VALUE, maxX = -1, minY = Integer.MAX_VALUE, maxY = -1;
        double sumX = 0, sumY = 0;
        double[][] channels = new double[3][comp.length];
        for (int j = 0; j < comp.length; j++) {
            int i = comp[j];
            int x = i % w;
            int y = i / w;
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
            sumX += x;
            sumY += y;
            for (int c = 0; c < 3; c++) channels[c][j] = px[3 * i + c] & 0xff;
        }
        double[] rgb = {median(channels[0]), median(channels[1]), median(channels[2])};
        // +1: a box from pixel i to pixel j covers j - i + 1 pixels.
        double fill = comp.length / (double) ((maxX - minX + 1) * (maxY - minY + 1));
        double cx = sumX / comp.length + 0.5;
        double cy = sumY / comp.length + 0.5;
        return new Blob(nearestColor(rgb), nearestPosition(cx, cy), classifyFill(fill), fill, cx, cy, comp.length);
    }

    /** Per-channel median of the frame, built as checker.py concatenates it (top, bottom, left, right). */
    static double[] frameMedian(byte[] px, int w, int h) {
        int n = 2 * BORDER * w + 2 * BORDER * h;
        double[][] ch = new double[3][n];
        int j = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean top = y < BORDER, bottom = y >= h - BORDER, left = x < BORDER, right = x >= w - BORDER;
                int copies = (top ? 1 : 0) + (bottom ? 1 : 0) + (left ? 1 : 0) + (right ? 1 : 0);
                for (int r = 0; r < copies; r++, j++) {
                    for (int c = 0; c < 3; c++) ch[c][j] = px[3 * (y * w + x) + c] & 0xff;
                }
            }
        }
        return new double[] {median(ch[0]), median(ch[1]), median(ch[2])};
    }

    /** numpy's median: the middle value, or the mean of the two middle values of an even count. */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    static String nearestColor(double[] rgb) {
        return argmin(ShapesWorld.PALETTE, p -> {
            double s = 0;
            for (int c = 0; c < 3; c++) s += (p[c] - rgb[c]) * (p[c] - rgb[c]);
            return s;
        });
    }

    static String nearestPosition(double x, double y) {
        return argmin(ShapesWorld.ANCHORS, a -> (x - a[0]) * (x - a[0]) + (y - a[1]) * (y - a[1]));
    }

    static String classifyFill(double fill) {
        if (fill < TRIANGLE_MAX_FILL) return "triangle";
        return fill < CIRCLE_MAX_FILL ? "circle" : "square";
    }

    private static <V> String argmin(Map<String, V> named, java.util.function.ToDoubleFunction<V> cost) {
        String best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, V> e : named.entrySet()) {
            double c = cost.applyAsDouble(e.getValue());
            if (c < bestCost) { // strict: ties keep the first, as numpy's argmin and Python's min do
                best = e.getKey();
                bestCost = c;
            }
        }
        return best;
    }

    private static double dist2(Blob b, double[] anchor) {
        return (b.cx() - anchor[0]) * (b.cx() - anchor[0]) + (b.cy() - anchor[1]) * (b.cy() - anchor[1]);
    }

    /** checker.accuracy(): the mean of each attribute over many scores, and the share with all four right. */
    record Accuracy(double background, double color, double position, double shape, double all, int n) {
        static Accuracy of(List<Score> scores) {
            double bg = 0, color = 0, position = 0, shape = 0, all = 0;
            for (Score s : scores) {
                bg += s.background();
                color += s.color();
                position += s.position();
                shape += s.shape();
                all += s.allRight() ? 1 : 0;
            }
            int n = Math.max(1, scores.size());
            return new Accuracy(bg / n, color / n, position / n, shape / n, all / n, scores.size());
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "background %.1f%%, colour %.1f%%, position %.1f%%, shape %.1f%%, "
                    + "all four %.1f%% (n=%d)", 100 * background, 100 * color, 100 * position, 100 * shape, 100 * all, n);
        }
    }
}
