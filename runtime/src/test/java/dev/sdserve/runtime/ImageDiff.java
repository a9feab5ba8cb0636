package dev.sdserve.runtime;

/**
 * How far apart two 8-bit RGB images are, judged by the fixtures README's tolerance for a port: at most 1 level
 * on at most 0.1% of the values.
 *
 * @param maxLevels   the largest |a - b| of any 8-bit value
 * @param valuesOff   how many values differ at all
 * @param totalValues width * height * 3
 */
public record ImageDiff(int maxLevels, int valuesOff, int totalValues) {

    /** Compares two images of the same size; a size mismatch counts every value as off. */
    public static ImageDiff of(Png.Rgb a, Png.Rgb b) {
        if (a.width() != b.width() || a.height() != b.height()) return new ImageDiff(255, a.rgb().length, a.rgb().length);
        int max = 0;
        int off = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            int d = Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
            max = Math.max(max, d);
            if (d > 0) off++;
        }
        return new ImageDiff(max, off, a.rgb().length);
    }

    /** Compares two encoded images (PNG, ...). */
    public static ImageDiff of(byte[] a, byte[] b) {
        return of(Png.decode(a, "image a", 1L << 26), Png.decode(b, "image b", 1L << 26));
    }

    /** At most 1 level on at most 0.1% of the values. */
    public boolean withinFixtureTolerance() {
        return maxLevels <= 1 && valuesOff * 1000L <= totalValues;
    }

    @Override
    public String toString() {
        return "max " + maxLevels + " level(s), " + valuesOff + " of " + totalValues + " values differ";
    }
}
