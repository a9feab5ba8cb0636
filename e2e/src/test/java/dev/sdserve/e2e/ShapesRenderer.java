package dev.sdserve.e2e;

import dev.sdserve.runtime.Png;
import java.util.Random;

/**
 * Ground-truth renderings of shapes captions, ported from shapes.render: a plain background with each shape
 * drawn over it by an approximate signed distance d (negative inside) and coverage clamp(0.5 - d, 0, 1), which
 * anti-aliases the edges by about one pixel. Sizes and jitter follow shapes.render_captions: half-size 17-22 px
 * and +-3 px around the anchor for one shape, 13-16 px and +-2 px for two.
 */
final class ShapesRenderer {
    private static final int N = ShapesWorld.IMAGE_SIZE;

    private ShapesRenderer() {
    }

    /** A 128x128 rendering of {@code caption} with random size and jitter from {@code random}. */
    static Png.Rgb render(ShapesWorld.Caption caption, Random random) {
        int k = caption.shapes().size();
        boolean two = k == 2;
        double jitter = two ? 2 : 3;
        double[] cx = new double[k];
        double[] cy = new double[k];
        double[] size = new double[k];
        for (int i = 0; i < k; i++) {
            double[] a = ShapesWorld.ANCHORS.get(caption.shapes().get(i).position());
            cx[i] = a[0] + (random.nextDouble() * 2 - 1) * jitter;
            cy[i] = a[1] + (random.nextDouble() * 2 - 1) * jitter;
            size[i] = two ? 13 + 3 * random.nextDouble() : 17 + 5 * random.nextDouble();
        }
        return render(caption, cx, cy, size);
    }

    /** Renders shape i centred at (cx[i], cy[i]) with half-size size[i]; later shapes are drawn on top. */
    static Png.Rgb render(ShapesWorld.Caption caption, double[] cx, double[] cy, double[] size) {
        if (caption.background() == null) throw new IllegalArgumentException("the renderer needs a background colour");
        double[] img = new double[N * N * 3];
        int[] bg = ShapesWorld.rgb(caption.background());
        for (int i = 0; i < N * N; i++) {
            for (int c = 0; c < 3; c++) img[3 * i + c] = bg[c] / 255.0;
        }
        for (int s = 0; s < caption.shapes().size(); s++) {
            ShapesWorld.Shape shape = caption.shapes().get(s);
            int[] col = ShapesWorld.rgb(shape.color());
            for (int y = 0; y < N; y++) {
                for (int x = 0; x < N; x++) {
                    double d = distance(shape.shape(), x + 0.5 - cx[s], y + 0.5 - cy[s], size[s]);
                    double cov = Math.min(1.0, Math.max(0.0, 0.5 - d));
                    int i = 3 * (y * N + x);
                    for (int c = 0; c < 3; c++) img[i + c] = img[i + c] * (1 - cov) + col[c] / 255.0 * cov;
                }
            }
        }
        byte[] rgb = new byte[img.length];
        for (int i = 0; i < img.length; i++) rgb[i] = (byte) Math.round(Math.min(1.0, Math.max(0.0, img[i])) * 255);
        return new Png.Rgb(N, N, rgb);
    }

    /** Approximate signed distance from a pixel centre offset (dx, dy) to the shape's edge. */
    private static double distance(String shape, double dx, double dy, double s) {
        return switch (shape) {
            case "circle" -> Math.sqrt(dx * dx + dy * dy) - s;
            case "square" -> Math.max(Math.abs(dx), Math.abs(dy)) - s;
            // isosceles, apex up: apex (0, -s), base y = +s with half-width s; sides of slope 2, normalised by sqrt(5)
            case "triangle" -> Math.max((2.0 * Math.abs(dx) - (dy + s)) / Math.sqrt(5), dy - s);
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
    }
}
