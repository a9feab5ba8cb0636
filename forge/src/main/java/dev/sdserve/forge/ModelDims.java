package dev.sdserve.forge;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Every size that shapes a forged pipeline. {@link Presets} derives them from a preset and a width scale; tests
 * also build the exact dims of the reference tiny-sd15 and tiny-sdxl to compare against them.
 *
 * @param kind   "sd15", "sd21", "sdxl" or "sdxl-turbo": picks scheduler, tokenizer padding and config details
 * @param unet   UNet2DConditionModel sizes
 * @param texts  the text encoders: one CLIPTextModel (SD 1.x/2.x), or CLIPTextModel + CLIPTextModelWithProjection
 *               (SDXL), written to text_encoder/ and text_encoder_2/
 * @param vae    AutoencoderKL sizes
 */
public record ModelDims(String kind, Unet unet, List<Text> texts, Vae vae) {
    public ModelDims {
        texts = List.copyOf(texts);
        if (texts.isEmpty() || texts.size() > 2) throw new IllegalArgumentException("one or two text encoders");
    }

    /** An SD 1.x/2.x pipeline with its one text encoder. */
    public ModelDims(String kind, Unet unet, Text text, Vae vae) {
        this(kind, unet, List.of(text), vae);
    }

    /** The first (or only) text encoder. */
    public Text text() {
        return texts.get(0);
    }

    /** SDXL's pipeline: two text encoders, text_time conditioning. */
    public boolean sdxl() {
        return texts.size() == 2;
    }

    /**
     * SDXL's extra conditioning ({@code addition_embed_type "text_time"}): time_ids through {@code add_time_proj},
     * concatenated with the pooled text embeds, then {@code add_embedding} into the time embedding.
     *
     * @param timeEmbedDim  addition_time_embed_dim (sinusoidal width per time id, even)
     * @param textEmbedsDim width of the pooled {@code text_embeds} input (text_encoder_2's projection_dim)
     */
    public record TextTime(int timeEmbedDim, int textEmbedsDim) {
        /** Number of size-conditioning values: orig h, w, crop top, left, target h, w. */
        public static final int TIME_IDS = 6;

        /** projection_class_embeddings_input_dim. */
        public int inputDim() {
            return TIME_IDS * timeEmbedDim + textEmbedsDim;
        }
    }

    /**
     * @param blockOut           block_out_channels (3 or 4 levels, multiples of 32)
     * @param layersPerBlock     resnets per down block (up blocks have one more)
     * @param heads              attention heads per level (the "attention_head_dim" of diffusers' configs)
     * @param depth              transformer layers per level, 0 where the level has no attention (DownBlock2D /
     *                           UpBlock2D); the mid block uses the last level's
     * @param crossAttentionDim  width of encoder_hidden_states
     * @param linearProjection   SD2/SDXL use_linear_projection (proj_in/proj_out as Linear instead of 1×1 Conv)
     * @param headsAsList        config writes attention_head_dim as the per-block list (SD2) rather than one int
     * @param sampleSize         latent side the model is meant for (64 = 512 px, 128 = 1024 px)
     * @param textTime           SDXL's text_time conditioning; when present the UNet also takes {@code text_embeds}
     *                           and {@code time_ids} and, as SDXL exports do, a scalar float {@code timestep}
     */
    public record Unet(int[] blockOut, int layersPerBlock, int[] heads, int[] depth, int crossAttentionDim,
                       boolean linearProjection, boolean headsAsList, int sampleSize, Optional<TextTime> textTime) {
        public Unet {
            blockOut = blockOut.clone();
            heads = heads.clone();
            depth = depth.clone();
            if (heads.length != blockOut.length || depth.length != blockOut.length) {
                throw new IllegalArgumentException("blockOut, heads and depth need one entry per level");
            }
        }

        /** SD 1.x/2.x: 4 levels, one transformer layer on the first three. */
        public Unet(int[] blockOut, int layersPerBlock, int[] heads, int crossAttentionDim, boolean linearProjection,
                    boolean headsAsList, int sampleSize) {
            this(blockOut, layersPerBlock, heads, new int[] {1, 1, 1, 0}, crossAttentionDim, linearProjection,
                    headsAsList, sampleSize, Optional.empty());
        }

        @Override
        public int[] blockOut() {
            return blockOut.clone();
        }

        @Override
        public int[] heads() {
            return heads.clone();
        }

        @Override
        public int[] depth() {
            return depth.clone();
        }

        /** Number of down (and up) blocks. */
        public int levels() {
            return blockOut.length;
        }

        /** Time embedding width: 4 × block_out_channels[0]. */
        public int timeEmbedDim() {
            return 4 * blockOut[0];
        }

        @Override
        public String toString() {
            return "Unet" + Arrays.toString(blockOut) + " heads" + Arrays.toString(heads) + " depth"
                    + Arrays.toString(depth) + " cross=" + crossAttentionDim;
        }
    }

    /** What a text encoder's ONNX graph takes and gives, by exporter generation. */
    public enum TextIo {
        /** SD 1.x/2.x exports: int32 input_ids → last_hidden_state, pooler_output. */
        SD,
        /** SDXL's text_encoder: int64 input_ids → last_hidden_state, pooler_output, hidden_states.0 … L. */
        SDXL,
        /** SDXL's text_encoder_2 (with projection): int64 input_ids → text_embeds, last_hidden_state, hidden_states.*. */
        SDXL_PROJECTED
    }

    /**
     * @param vocabSize        rows of the token embedding (49408: every CLIP id is valid input)
     * @param hidden           hidden_size
     * @param layers           num_hidden_layers
     * @param heads            num_attention_heads
     * @param intermediate     intermediate_size of the MLP
     * @param gelu             hidden_act gelu (SD2, OpenCLIP) instead of quick_gelu (SD1, CLIP-L)
     * @param bosId            id of {@code <|startoftext|>}
     * @param eosId            id of {@code <|endoftext|>}: pooler_output is read at its first position
     * @param padId            padding id the tokenizer uses
     * @param io               graph inputs and outputs; SDXL_PROJECTED adds text_projection (hidden × hidden, no bias)
     */
    public record Text(int vocabSize, int hidden, int layers, int heads, int intermediate, boolean gelu,
                       int bosId, int eosId, int padId, TextIo io) {
        public static final int MAX_POSITIONS = 77;

        /** An SD 1.x/2.x text encoder. */
        public Text(int vocabSize, int hidden, int layers, int heads, int intermediate, boolean gelu,
                    int bosId, int eosId, int padId) {
            this(vocabSize, hidden, layers, heads, intermediate, gelu, bosId, eosId, padId, TextIo.SD);
        }

        /** projection_dim written to the config: the projection's width, or what SD's CLIP configs declare. */
        public int projectionDim() {
            if (io != TextIo.SD) return hidden;
            return gelu ? 1024 : 768;
        }
    }

    /**
     * @param blockOut          block_out_channels (4 blocks, multiples of 32)
     * @param layersPerBlock    resnets per encoder block (decoder blocks have one more)
     * @param scalingFactor     latent scaling factor written to the config
     * @param latentParameters  vae_encoder outputs both moments as {@code latent_parameters} [B,8,h,w] (current
     *                          optimum exports) instead of the mean as {@code latent_sample}
     */
    public record Vae(int[] blockOut, int layersPerBlock, double scalingFactor, boolean latentParameters) {
        public Vae {
            blockOut = blockOut.clone();
        }

        public Vae(int[] blockOut, int layersPerBlock, double scalingFactor) {
            this(blockOut, layersPerBlock, scalingFactor, false);
        }

        @Override
        public int[] blockOut() {
            return blockOut.clone();
        }

        @Override
        public String toString() {
            return "Vae" + Arrays.toString(blockOut) + " layers=" + layersPerBlock;
        }
    }

    /** Latent channels of every SD 1.x/2.x/XL VAE and UNet. */
    public static final int LATENT_CHANNELS = 4;
}
