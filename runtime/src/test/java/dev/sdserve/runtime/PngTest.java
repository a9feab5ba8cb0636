package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.NodeList;

class PngTest {

    private static Png.Rgb random(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new Random(seed).nextBytes(rgb);
        return new Png.Rgb(w, h, rgb);
    }

    @Test
    void roundTripIsLosslessAndReadableByPlainImageIo() throws Exception {
        Png.Rgb img = random(70, 50, 1);
        byte[] png = Png.encode(img);
        Png.Rgb back = Png.decode(png, "png", Long.MAX_VALUE);
        assertEquals(70, back.width());
        assertEquals(50, back.height());
        assertArrayEquals(img.rgb(), back.rgb());

        BufferedImage plain = ImageIO.read(new ByteArrayInputStream(png));
        int x = 13, y = 41, o = (y * 70 + x) * 3;
        int expected = (img.rgb()[o] & 0xFF) << 16 | (img.rgb()[o + 1] & 0xFF) << 8 | (img.rgb()[o + 2] & 0xFF);
        assertEquals(expected, plain.getRGB(x, y) & 0xFFFFFF);
    }

    @Test
    void textChunksAreWrittenAsTextAndReadBackWithImageIo() throws Exception {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", "A photo of an astronaut\nSteps: 20, Sampler: PNDM, CFG scale: 7.5, Seed: 42");
        text.put("Software", "sdserve");
        byte[] png = Png.encode(random(8, 8, 2), text);

        // Independent check: ImageIO's own PNG metadata tree holds tEXtEntry nodes with our keyword/value.
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
            reader.setInput(in);
            IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
            NodeList entries = root.getElementsByTagName("tEXtEntry");
            assertEquals(2, entries.getLength());
            IIOMetadataNode first = (IIOMetadataNode) entries.item(0);
            assertEquals("parameters", first.getAttribute("keyword"));
            assertEquals(text.get("parameters"), first.getAttribute("value"));
            reader.dispose();
        }
        // The chunk type on disk is tEXt, followed by keyword NUL text.
        String latin = new String(png, StandardCharsets.ISO_8859_1);
        assertTrue(latin.contains("tEXtparameters\0A photo of an astronaut"), "raw tEXt chunk present");
        assertEquals(text, Png.readText(png));
    }

    @Test
    void nonLatinTextGoesToItxtAndSurvives() {
        Map<String, String> text = Map.of("parameters", "東京の夜 🌃, Steps: 20");
        byte[] png = Png.encode(random(8, 8, 3), text);
        assertTrue(new String(png, StandardCharsets.ISO_8859_1).contains("iTXtparameters"));
        assertEquals(text, Png.readText(png));
    }

    @Test
    void badKeywordIsInvalidArgument() {
        SdException e = assertThrows(SdException.class, () -> Png.encode(random(4, 4, 4), Map.of(" x", "y")));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void greyAndAlphaImagesDecodeToRgb() throws Exception {
        BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 2, new int[] {0, 10, 20, 128, 200, 255});
        Png.Rgb g = Png.decode(write(grey, "png"), "img", 100);
        assertEquals(128, g.rgb()[9] & 0xFF);
        assertEquals(128, g.rgb()[10] & 0xFF);
        assertEquals(128, g.rgb()[11] & 0xFF);

        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_4BYTE_ABGR);
        argb.getRaster().setPixels(0, 0, 2, 1, new int[] {10, 20, 30, 0, 40, 50, 60, 255});
        Png.Rgb a = Png.decode(write(argb, "png"), "img", 100);
        assertArrayEquals(new byte[] {10, 20, 30, 40, 50, 60}, a.rgb());
    }

    @Test
    void jpegDecodesCloseToTheSource() throws Exception {
        BufferedImage flat = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        int[] px = new int[16 * 16 * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = 200;
            px[i + 1] = 40;
            px[i + 2] = 90;
        }
        flat.getRaster().setPixels(0, 0, 16, 16, px);
        Png.Rgb j = Png.decode(write(flat, "jpeg"), "img", 1000);
        assertTrue(Math.abs((j.rgb()[0] & 0xFF) - 200) <= 4, "red " + (j.rgb()[0] & 0xFF));
        assertTrue(Math.abs((j.rgb()[1] & 0xFF) - 40) <= 4, "green " + (j.rgb()[1] & 0xFF));
        assertTrue(Math.abs((j.rgb()[2] & 0xFF) - 90) <= 4, "blue " + (j.rgb()[2] & 0xFF));
    }

    @Test
    void pixelsAreChannelFirstOver255() {
        Png.Rgb img = random(5, 3, 5);
        FloatTensor t = Png.toPixels(img);
        assertArrayEquals(new long[] {1, 3, 3, 5}, t.shape());
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 5; x++) {
                    float want = (img.rgb()[(y * 5 + x) * 3 + c] & 0xFF) / 255f;
                    assertEquals(want, t.get((c * 3 + y) * 5 + x));
                }
            }
        }
    }

    @Test
    void garbageAndOversizedImagesAreInvalidArgumentNamingTheField() {
        SdException garbage = assertThrows(SdException.class,
                () -> Png.decode("not an image".getBytes(StandardCharsets.US_ASCII), "encoded_images[2]", 100));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, garbage.kind());
        assertTrue(garbage.getMessage().startsWith("encoded_images[2]"), garbage.getMessage());

        SdException big = assertThrows(SdException.class,
                () -> Png.decode(Png.encode(random(20, 10, 6)), "encoded_images[0]", 199));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, big.kind());
        assertTrue(big.getMessage().contains("200 pixels"), big.getMessage());
    }

    @Test
    void decodesTheFixtureInitImage() throws Exception {
        byte[] png = Files.readAllBytes(SharedFixtures.fixtures().resolve("img2img/img2img_ddim_s60_dc1/init.png"));
        Png.Rgb img = Png.decode(png, "init", 1 << 20);
        assertEquals(256, img.width());
        assertEquals(256, img.height());
        BufferedImage plain = ImageIO.read(new ByteArrayInputStream(png));
        int p = plain.getRGB(100, 37);
        int o = (37 * 256 + 100) * 3;
        assertEquals((p >> 16) & 0xFF, img.rgb()[o] & 0xFF);
        assertEquals((p >> 8) & 0xFF, img.rgb()[o + 1] & 0xFF);
        assertEquals(p & 0xFF, img.rgb()[o + 2] & 0xFF);
    }

    private static byte[] write(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }
}
