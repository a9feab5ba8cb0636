package dev.sdserve.cli;

import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The image2image input: read with ImageIO (PNG, JPEG, ...) and fitted to the output size. As in
 * mlx-examples' image2image, a side that is not a multiple of 64 is cut down to one, with nearest-neighbour
 * resampling (PIL's {@code Image.NEAREST} pixel centres).
 */
final class InitImages {
    private static final long MAX_PIXELS = 1L << 26;

    private InitImages() {
    }

    static Png.Rgb read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw SdException.notFound("IMAGE: no such file " + file);
        } catch (IOException e) {
            throw SdException.invalid("IMAGE: cannot read " + file + ": " + e.getMessage());
        }
        return Png.decode(bytes, "IMAGE (" + file + ")", MAX_PIXELS);
    }

    /** The largest multiple of 64 not above {@code px}; INVALID_ARGUMENT when that is 0. */
    static int floorTo64(int px, String side) {
        int out = px - px % GenerationOptions.SIZE_MULTIPLE;
        SdException.require(out > 0, "IMAGE: " + side + " " + px + " px is below the minimum of 64");
        return out;
    }

    /** Nearest-neighbour resampling; returns {@code img} itself when the size already matches. */
    static Png.Rgb resizeNearest(Png.Rgb img, int width, int height) {
        if (img.width() == width && img.height() == height) return img;
        byte[] out = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            int sy = (int) Math.min(img.height() - 1, (long) ((y + 0.5) * img.height() / height));
            for (int x = 0; x < width; x++) {
                int sx = (int) Math.min(img.width() - 1, (long) ((x + 0.5) * img.width() / width));
                System.arraycopy(img.rgb(), (sy * img.width() + sx) * 3, out, (y * width + x) * 3, 3);
            }
        }
        return new Png.Rgb(width, height, out);
    }
}
