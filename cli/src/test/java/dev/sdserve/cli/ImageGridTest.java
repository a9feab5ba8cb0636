package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sdserve.runtime.Png;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The mlx-examples grid: 8 px of padding around every tile, n_rows rows, a single image unpadded. */
class ImageGridTest {
    @ParameterizedTest
    @CsvSource({
        // n, rows, w, h -> grid w, grid h  (mlx: pad 8 on each side, reshape(n_rows, n/n_rows, H+16, W+16))
        "1, 1, 512, 512, 512, 512",
        "2, 1, 256, 256, 544, 272",
        "4, 1, 512, 512, 2112, 528",
        "4, 2, 512, 512, 1056, 1056",
        "4, 4, 64, 128, 80, 576",
        "6, 2, 320, 448, 1008, 928",
    })
    void gridSizes(int n, int rows, int w, int h, int gridW, int gridH) {
        ImageGrid.Layout l = ImageGrid.layout(n, rows, w, h);
        assertEquals(gridW, l.gridWidth());
        assertEquals(gridH, l.gridHeight());
    }

    @Test
    void rejectsCountsThatDoNotFillTheRows() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.layout(3, 2, 64, 64));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.layout(0, 1, 64, 64));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.layout(2, 0, 64, 64));
    }

    static Png.Rgb solid(int w, int h, int r, int g, int b) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = (byte) r;
            px[3 * i + 1] = (byte) g;
            px[3 * i + 2] = (byte) b;
        }
        return new Png.Rgb(w, h, px);
    }

    static int[] pixel(Png.Rgb img, int x, int y) {
        int o = (y * img.width() + x) * 3;
        return new int[] {img.rgb()[o] & 0xFF, img.rgb()[o + 1] & 0xFF, img.rgb()[o + 2] & 0xFF};
    }

    @Test
    void tilesGoRowMajorInsideBlackPadding() {
        int w = 5;
        int h = 3;
        List<Png.Rgb> tiles = new ArrayList<>();
        for (int i = 0; i < 6; i++) tiles.add(solid(w, h, 10 * (i + 1), 255 - i, 7));
        Png.Rgb grid = ImageGrid.compose(tiles, 2);
        assertEquals(3 * (w + 16), grid.width());
        assertEquals(2 * (h + 16), grid.height());
        for (int i = 0; i < 6; i++) {
            int row = i / 3;
            int col = i % 3;
            int x0 = col * (w + 16) + 8;
            int y0 = row * (h + 16) + 8;
            int[] expected = {10 * (i + 1), 255 - i, 7};
            for (int[] xy : new int[][] {{x0, y0}, {x0 + w - 1, y0 + h - 1}, {x0 + 2, y0 + 1}}) {
                assertEquals(List.of(expected[0], expected[1], expected[2]), asList(pixel(grid, xy[0], xy[1])), "tile " + i);
            }
            // the 8 px border around each tile is black
            for (int[] xy : new int[][] {{x0 - 1, y0}, {x0 + w, y0}, {x0, y0 - 1}, {x0, y0 + h}, {x0 - 8, y0 - 8}}) {
                assertEquals(List.of(0, 0, 0), asList(pixel(grid, xy[0], xy[1])), "padding of tile " + i + " at " + xy[0] + "," + xy[1]);
            }
        }
    }

    @Test
    void singleImageIsUnpadded() {
        Png.Rgb one = solid(7, 4, 1, 2, 3);
        Png.Rgb grid = ImageGrid.compose(List.of(one), 1);
        assertEquals(7, grid.width());
        assertEquals(4, grid.height());
        assertEquals(List.of(1, 2, 3), asList(pixel(grid, 0, 0)));
        assertEquals(List.of(1, 2, 3), asList(pixel(grid, 6, 3)));
    }

    @Test
    void rejectsTilesOfDifferentSizes() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.compose(List.of(solid(4, 4, 0, 0, 0), solid(4, 5, 0, 0, 0)), 1));
    }

    @Test
    void nearestResizeMatchesPilPixelCentres() {
        // 4 columns 0..3 -> 2 columns: PIL NEAREST samples x = floor((i + 0.5) * 2) = 1, 3
        byte[] px = new byte[4 * 1 * 3];
        for (int x = 0; x < 4; x++) px[3 * x] = (byte) (x * 50);
        Png.Rgb down = InitImages.resizeNearest(new Png.Rgb(4, 1, px), 2, 1);
        assertEquals(50, pixel(down, 0, 0)[0]);
        assertEquals(150, pixel(down, 1, 0)[0]);
        Png.Rgb same = new Png.Rgb(4, 1, px);
        assertSame(same, InitImages.resizeNearest(same, 4, 1));
        assertEquals(640, InitImages.floorTo64(700, "width"));
        assertThrows(dev.sdserve.runtime.SdException.class, () -> InitImages.floorTo64(63, "width"));
    }

    private static List<Integer> asList(int[] a) {
        return List.of(a[0], a[1], a[2]);
    }
}
