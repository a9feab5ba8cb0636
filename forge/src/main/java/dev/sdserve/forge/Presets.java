package dev.sdserve.forge;

import dev.sdserve.runtime.SdException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The sd15, sd21, sdxl and sdxl-turbo presets at a width scale. Scale 1.0 gives the real Stable Diffusion sizes;
 * smaller scales shrink every width while keeping the topology (blocks, 2 layers a block, attention placement)
 * and keeping every GroupNorm(32) valid. sdxl-turbo is sdxl's model with Turbo's scheduler file.
 *
 * <p>Scaling rules (X = scale):
 * <ul>
 *   <li>UNet block_out_channels: 320X, 640X, 1280X, 1280X, each rounded to a multiple of 32, at least 32;</li>
 *   <li>UNet heads: sd15 8 per block (head dim = channels / 8); sd21 head dim 64X rounded down to 64, 32, 16
 *       or 8 (at least 8), halved until it divides every block width (32 always does);</li>
 *   <li>text width: 768X (sd15) or 1024X (sd21) rounded to a multiple of 64, at least 64, with head dim 64 and
 *       an MLP of 4× the width; text layers: 12X (sd15) or 23X (sd21), rounded, at least 2;</li>
 *   <li>cross_attention_dim = the text width;</li>
 *   <li>VAE block_out_channels: 128X, 256X, 512X, 512X rounded to a multiple of 32, at least 32; 2 layers a block;</li>
 *   <li>sample_size stays 64 (512-pixel images), as both SD 1.5 and SD 2.1-base declare.</li>
 * </ul>
 *
 * <p>sdxl (SDXL base 1.0's UNet, CLIP ViT-L and OpenCLIP bigG text encoders, its VAE):
 * <ul>
 *   <li>UNet block_out_channels 320X, 640X, 1280X (3 levels, the first without attention), head dim as sd21,
 *       transformer layers 2X and 10X rounded (at least 1); sample_size 128;</li>
 *   <li>text_encoder: 768X wide, 12X layers, quick_gelu; text_encoder_2: 1280X wide, 32X layers, gelu, a
 *       projection as wide as it; cross_attention_dim = the sum of both widths;</li>
 *   <li>addition_time_embed_dim 256X rounded to a multiple of 8; VAE as above with scaling_factor 0.13025.</li>
 * </ul>
 */
public final class Presets {
    public static final double MIN_SCALE = 0.01;
    public static final double MAX_SCALE = 2.0;

    private static final int[] UNET_BASE = {320, 640, 1280, 1280};
    private static final int[] SDXL_UNET_BASE = {320, 640, 1280};
    private static final int[] SDXL_DEPTH = {0, 2, 10};
    private static final int[] VAE_BASE = {128, 256, 512, 512};
    /** Preset names. */
    public static final List<String> NAMES = List.of("sd15", "sd21", "sdxl", "sdxl-turbo");

    private Presets() {
    }

    /** The dims of {@code preset} at {@code scale}; INVALID_ARGUMENT naming the field otherwise. */
    public static ModelDims dims(String preset, double scale) {
        String kind = preset == null ? "" : preset.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(kind)) {
            throw SdException.invalid("preset: unknown preset '" + preset + "'; expected one of " + NAMES);
        }
        if (!(scale >= MIN_SCALE && scale <= MAX_SCALE)) {
            throw SdException.invalid("scale: " + scale + " is outside [" + MIN_SCALE + ", " + MAX_SCALE + "]");
        }
        if (kind.startsWith("sdxl")) return sdxl(kind, scale);
        boolean sd21 = kind.equals("sd21");
        int[] blockOut = scaled(UNET_BASE, scale, 32);
        int[] heads = new int[4];
        int headDim = sd21 ? sd21HeadDim(scale, blockOut) : 0;
        for (int i = 0; i < 4; i++) heads[i] = sd21 ? blockOut[i] / headDim : 8;
        ModelDims.Text text = text(sd21, scale);
        ModelDims.Unet unet = new ModelDims.Unet(blockOut, 2, heads, text.hidden(), sd21, sd21, 64);
        ModelDims.Vae vae = new ModelDims.Vae(scaled(VAE_BASE, scale, 32), 2, 0.18215);
        return new ModelDims(kind, unet, text, vae);
    }

    private static ModelDims sdxl(String kind, double scale) {
        int[] blockOut = scaled(SDXL_UNET_BASE, scale, 32);
        int headDim = sd21HeadDim(scale, blockOut);
        int[] heads = new int[blockOut.length];
        int[] depth = new int[blockOut.length];
        for (int i = 0; i < blockOut.length; i++) {
            heads[i] = blockOut[i] / headDim;
            depth[i] = SDXL_DEPTH[i] == 0 ? 0 : Math.max(1, (int) Math.round(SDXL_DEPTH[i] * scale));
        }
        ClipVocabulary vocab = ClipVocabulary.forge();
        int h1 = roundTo(768 * scale, 64);
        int h2 = roundTo(1280 * scale, 64);
        // CLIP ViT-L pads with <|endoftext|>, OpenCLIP bigG's tokenizer with "!" (id 0)
        ModelDims.Text text1 = new ModelDims.Text(49408, h1, layers(12, scale), h1 / 64, 4 * h1, false,
                vocab.bosId(), vocab.eosId(), vocab.eosId(), ModelDims.TextIo.SDXL);
        ModelDims.Text text2 = new ModelDims.Text(49408, h2, layers(32, scale), h2 / 64, 4 * h2, true,
                vocab.bosId(), vocab.eosId(), 0, ModelDims.TextIo.SDXL_PROJECTED);
        ModelDims.TextTime textTime = new ModelDims.TextTime(roundTo(256 * scale, 8), h2);
        ModelDims.Unet unet = new ModelDims.Unet(blockOut, 2, heads, depth, h1 + h2, true, true, 128,
                Optional.of(textTime));
        ModelDims.Vae vae = new ModelDims.Vae(scaled(VAE_BASE, scale, 32), 2, 0.13025, true);
        return new ModelDims(kind, unet, List.of(text1, text2), vae);
    }

    private static int layers(int base, double scale) {
        return Math.max(2, Math.min(base, (int) Math.round(base * scale)));
    }

    private static ModelDims.Text text(boolean sd21, double scale) {
        int hidden = roundTo((sd21 ? 1024 : 768) * scale, 64);
        int layers = layers(sd21 ? 23 : 12, scale);
        ClipVocabulary vocab = ClipVocabulary.forge();
        // SD2's tokenizer pads with "!" (id 0); SD1's with <|endoftext|>
        int pad = sd21 ? 0 : vocab.eosId();
        return new ModelDims.Text(49408, hidden, layers, hidden / 64, 4 * hidden, sd21, vocab.bosId(), vocab.eosId(), pad);
    }

    /** 64X rounded down to a power of two in [8, 64] that divides every block width (32 always does). */
    private static int sd21HeadDim(double scale, int[] blockOut) {
        int headDim = Integer.highestOneBit((int) Math.max(8, Math.min(64, 64 * scale)));
        while (headDim > 8 && !divides(headDim, blockOut)) headDim /= 2;
        return headDim;
    }

    private static boolean divides(int d, int[] values) {
        for (int v : values) if (v % d != 0) return false;
        return true;
    }

    private static int[] scaled(int[] base, double scale, int multiple) {
        int[] out = new int[base.length];
        for (int i = 0; i < base.length; i++) out[i] = roundTo(base[i] * scale, multiple);
        return out;
    }

    private static int roundTo(double value, int multiple) {
        return (int) Math.max(multiple, Math.round(value / multiple) * multiple);
    }
}
