package dev.sdserve.cli;

import dev.sdserve.runtime.Png;
import java.util.List;

/**
 * Lays generated images out as mlx-examples' txt2image does: every image is padded by {@value #PAD} black
 * pixels on each side, and the padded tiles fill {@code n_rows} rows left to right, top to bottom. A single
 * image is written as it is, without padding.
 */
public final class ImageGrid {
    /** Padding on each side of every tile, in pixels (mlx: {@code mx.pad(x, [(0,0),(8,8),(8,8),(0,0)])}). */
    public static final int PAD = 8;

    private ImageGrid() {
    }

    /** Where tiles go in a grid of {@code rows x cols} images of {@code width x height}, each padded by {@code pad}. */
    public record Layout(int rows, int cols, int width, int height, int pad) {
        public int gridWidth() {
            return cols * (width + 2 * pad);
        }

        public int gridHeight() {
            return rows * (height + 2 * pad);
        }

        /** Left edge of image {@code i}'s pixels (inside its padding). */
        public int x(int i) {
            return (i % cols) * (width + 2 * pad) + pad;
        }

        /** Top edge of image {@code i}'s pixels (inside its padding). */
        public int y(int i) {
            return (i / cols) * (height + 2 * pad) + pad;
        }
    }

    /** The layout of {@code nImages} images in {@code nRows} rows; {@code nImages} must be a multiple of {@code nRows}. */
    public static Layout layout(int nImages, int nRows, int width, int height) {
        if (nImages < 1 || nRows < 1 || nImages % nRows != 0) {
            throw new IllegalArgumentException("--n_images " + nImages + " must be a positive multiple of --n_rows " + nRows);
        }
        return new Layout(nRows, nImages / nRows, width, height, nImages == 1 ? 0 : PAD);
    }

    /** Composes equally sized images into one RGB image laid out by {@link #layout}. */
    public static Png.Rgb compose(List<Png.Rgb> images, int nRows) {
        Png.Rgb first = images.get(0);
        Layout l = layout(images.size(), nRows, first.width(), first.height());
        byte[] out = new byte[l.gridWidth() * l.gridHeight() * 3];
        int rowBytes = l.width() * 3;
        for (int i = 0; i < images.size(); i++) {
            Png.Rgb img = images.get(i);
            if (img.width() != l.width() || img.height() != l.height()) {
                throw new IllegalArgumentException("image " + i + " is " + img.width() + "x" + img.height()
                        + ", not " + l.width() + "x" + l.height() + " like image 0");
            }
            for (int r = 0; r < l.height(); r++) {
                int dst = ((l.y(i) + r) * l.gridWidth() + l.x(i)) * 3;
                System.arraycopy(img.rgb(), r * rowBytes, out, dst, rowBytes);
            }
        }
        return new Png.Rgb(l.gridWidth(), l.gridHeight(), out);
    }
}
