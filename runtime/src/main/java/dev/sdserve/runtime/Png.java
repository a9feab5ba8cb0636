package dev.sdserve.runtime;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.w3c.dom.Node;

/**
 * 8-bit RGB images to and from PNG (and JPEG, or anything else ImageIO reads) through ImageIO, with PNG
 * text chunks for generation metadata (the {@code parameters} keyword other SD tools write). Shared by the
 * VAE service, the orchestrator and the CLI so that none of them copies image code. Streams are in-memory
 * ({@code MemoryCache*}), so ImageIO never writes a cache file to java.io.tmpdir.
 */
public final class Png {
    private static final String PNG_FORMAT = "javax_imageio_png_1.0";

    private Png() {
    }

    /** An 8-bit RGB image, row-major, {@code width * height * 3} bytes (R, G, B per pixel). */
    public record Rgb(int width, int height, byte[] rgb) {
        public Rgb {
            if (width <= 0 || height <= 0 || (long) width * height * 3 != rgb.length) {
                throw new IllegalArgumentException("RGB image " + width + "x" + height + " needs "
                        + (long) width * height * 3 + " bytes, got " + rgb.length);
            }
        }
    }

    /** Encodes as an 8-bit RGB PNG without text chunks. */
    public static byte[] encode(Rgb image) {
        return encode(image, Map.of());
    }

    /**
     * Encodes as an 8-bit RGB PNG with one text chunk per entry, in map order. A text that fits Latin-1 goes
     * in a {@code tEXt} chunk (what the PNG spec and most readers expect); any other text goes in an
     * uncompressed UTF-8 {@code iTXt} chunk so that non-Latin prompts survive.
     */
    public static byte[] encode(Rgb image, Map<String, String> text) {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        int[] samples = new int[image.rgb().length];
        for (int i = 0; i < samples.length; i++) samples[i] = image.rgb()[i] & 0xFF;
        // Raster bands are R, G, B in that order whatever the byte layout of TYPE_3BYTE_BGR.
        img.getRaster().setPixels(0, 0, image.width(), image.height(), samples);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
             ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img),
                    writer.getDefaultWriteParam());
            if (!text.isEmpty()) meta.mergeTree(PNG_FORMAT, textTree(text));
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, meta), null);
            out.flush();
            return bytes.toByteArray();
        } catch (IIOInvalidTreeException e) {
            throw SdException.invalid("PNG text chunk rejected: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("encoding PNG", e);
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode textTree(Map<String, String> text) {
        IIOMetadataNode tEXt = new IIOMetadataNode("tEXt");
        IIOMetadataNode iTXt = new IIOMetadataNode("iTXt");
        for (Map.Entry<String, String> e : text.entrySet()) {
            String keyword = e.getKey();
            SdException.require(keyword != null && !keyword.isEmpty() && keyword.length() <= 79
                            && keyword.equals(keyword.strip()) && isLatin1(keyword),
                    "PNG text keyword '" + keyword + "' must be 1-79 Latin-1 characters without outer spaces");
            String value = e.getValue() == null ? "" : e.getValue();
            if (isLatin1(value)) {
                IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("value", value);
                tEXt.appendChild(entry);
            } else {
                IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", value);
                iTXt.appendChild(entry);
            }
        }
        IIOMetadataNode root = new IIOMetadataNode(PNG_FORMAT);
        if (tEXt.hasChildNodes()) root.appendChild(tEXt);
        if (iTXt.hasChildNodes()) root.appendChild(iTXt);
        return root;
    }

    private static boolean isLatin1(String s) {
        return StandardCharsets.ISO_8859_1.newEncoder().canEncode(s);
    }

    /** The text chunks (tEXt, zTXt, iTXt) of a PNG, keyword to text, in file order. */
    public static Map<String, String> readText(byte[] png) {
        Map<String, String> out = new LinkedHashMap<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = readerFor(in, "png");
            try {
                reader.setInput(in, true, false);
                IIOMetadata meta = reader.getImageMetadata(0);
                collectText(meta.getAsTree(PNG_FORMAT), out);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw SdException.invalid("png: cannot read text chunks: " + e.getMessage());
        }
        return out;
    }

    private static void collectText(Node node, Map<String, String> out) {
        for (Node n = node.getFirstChild(); n != null; n = n.getNextSibling()) {
            String name = n.getNodeName();
            if (name.equals("tEXtEntry") || name.equals("zTXtEntry") || name.equals("iTXtEntry")) {
                IIOMetadataNode e = (IIOMetadataNode) n;
                out.put(e.getAttribute("keyword"), e.getAttribute(name.equals("tEXtEntry") ? "value" : "text"));
            } else {
                collectText(n, out);
            }
        }
    }

    /**
     * Decodes a PNG, JPEG or other ImageIO-readable file to 8-bit RGB. Alpha is dropped (as PIL's
     * {@code convert("RGB")} does) and grey is replicated. The declared size is checked against
     * {@code maxPixels} before any pixel is decoded, so a tiny file cannot claim a huge image.
     * Errors are INVALID_ARGUMENT naming {@code field}.
     */
    public static Rgb decode(byte[] encoded, String field, long maxPixels) {
        SdException.require(encoded != null && encoded.length > 0, field + ": empty image file");
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            ImageReader reader = readerFor(in, null);
            SdException.require(reader != null, field + ": not an image ImageIO can read (send PNG or JPEG)");
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                SdException.require(pixels <= maxPixels, field + ": image is " + reader.getWidth(0) + "x"
                        + reader.getHeight(0) + " = " + pixels + " pixels, more than the limit of " + maxPixels);
                return toRgb(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof SdException sd) throw sd;
            throw SdException.invalid(field + ": cannot decode image: " + e.getMessage());
        }
    }

    private static ImageReader readerFor(ImageInputStream in, String format) {
        Iterator<ImageReader> it = format == null ? ImageIO.getImageReaders(in) : ImageIO.getImageReadersByFormatName(format);
        return it.hasNext() ? it.next() : null;
    }

    /** The RGB samples of an image, read from the raster when that is exact, else through sRGB conversion. */
    static Rgb toRgb(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        int type = cm.getColorSpace().getType();
        boolean direct8 = cm instanceof ComponentColorModel && cm.getComponentSize(0) == 8
                && (type == ColorSpace.TYPE_RGB && img.getRaster().getNumBands() >= 3 || type == ColorSpace.TYPE_GRAY);
        byte[] rgb = direct8 ? rawSamples(img.getRaster(), type == ColorSpace.TYPE_GRAY) : convertedSamples(img);
        return new Rgb(img.getWidth(), img.getHeight(), rgb);
    }

    /** Raw 8-bit samples; getRGB() would gamma-convert linear grey and is slower. Extra bands (alpha) are dropped. */
    private static byte[] rawSamples(Raster raster, boolean grey) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        int g = grey ? 0 : 1;
        int b = grey ? 0 : 2;
        byte[] rgb = new byte[w * h * 3];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                int s = x * bands;
                rgb[o] = (byte) row[s];
                rgb[o + 1] = (byte) row[s + g];
                rgb[o + 2] = (byte) row[s + b];
            }
        }
        return rgb;
    }

    /** Palette, 16-bit and other colour models: let Java2D convert to 8-bit sRGB. */
    private static byte[] convertedSamples(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = img.getRGB(x, y);
                int o = (y * w + x) * 3;
                rgb[o] = (byte) (p >> 16);
                rgb[o + 1] = (byte) (p >> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return rgb;
    }

    /**
     * Pixels as the pipelines feed them to a VAE encoder: float32 {@code [1, 3, H, W]} in [0, 1], each value
     * {@code byte / 255} in float32, as diffusers' image processor computes it.
     */
    public static FloatTensor toPixels(Rgb image) {
        int w = image.width();
        int h = image.height();
        int plane = w * h;
        FloatBuffer out = FloatTensor.allocate(3L * plane);
        byte[] rgb = image.rgb();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) out.put(c * plane + i, (rgb[i * 3 + c] & 0xFF) / 255f);
        }
        return FloatTensor.adopt(new long[] {1, 3, h, w}, out);
    }

    /** {@link #decode} then {@link #toPixels}. */
    public static FloatTensor decodePixels(byte[] encoded, String field, long maxPixels) {
        return toPixels(decode(encoded, field, maxPixels));
    }
}
