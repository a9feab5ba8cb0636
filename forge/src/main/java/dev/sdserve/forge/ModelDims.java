package dev.sdserve.forge;

import java.util.Arrays;

/**
 * Every size that shapes a forged pipeline. {@link Presets} derives them from a preset and a width scale; tests
 * also build the exact dims of the reference tiny-sd15 to compare against it.
 *
 * @param kind  "sd15" or "sd21": picks scheduler, tokenizer padding and config details
 * @param unet  UNet2DConditionModel sizes
 * @param text  CLIPTextModel sizes
 * @param vae   AutoencoderKL sizes
 */
public record ModelDims(String kind, Unet unet, Text text, Vae vae) {

    /**
     * @param blockOut           block_out_channels (4 blocks, multiples of 32)
     * @param layersPerBlock     resnets per down block (up blocks have one more)
     * @param heads              attention heads per block
     * @param crossAttentionDim  width of encoder_hidden_states
     * @param linearProjection   SD2's use_linear_projection (proj_in/proj_out as Linear instead of 1×1 Conv)
     * @param headsAsList        config writes attention_head_dim as the per-block list (SD2) rather than one int
     * @param sampleSize         latent side the model is meant for (64 = 512 px)
     */
    public record Unet(int[] blockOut, int layersPerBlock, int[] heads, int crossAttentionDim,
                       boolean linearProjection, boolean headsAsList, int sampleSize) {
        public Unet {
            blockOut = blockOut.clone();
            heads = heads.clone();
        }

        @Override
        public int[] blockOut() {
            return blockOut.clone();
        }

        @Override
        public int[] heads() {
            return heads.clone();
        }

        /** Time embedding width: 4 × block_out_channels[0]. */
        public int timeEmbedDim() {
            return 4 * blockOut[0];
        }

        @Override
        public String toString() {
            return "Unet" + Arrays.toString(blockOut) + " heads" + Arrays.toString(heads) + " cross=" + crossAttentionDim;
        }
    }

    /**
     * @param vocabSize        rows of the token embedding (49408: every CLIP id is valid input)
     * @param hidden           hidden_size
     * @param layers           num_hidden_layers
     * @param heads            num_attention_heads
     * @param intermediate     intermediate_size of the MLP
     * @param gelu             hidden_act gelu (SD2) instead of quick_gelu (SD1)
     * @param bosId            id of {@code <|startoftext|>}
     * @param eosId            id of {@code <|endoftext|>}: pooler_output is read at its first position
     * @param padId            padding id the tokenizer uses
     */
    public record Text(int vocabSize, int hidden, int layers, int heads, int intermediate, boolean gelu,
                       int bosId, int eosId, int padId) {
        public static final int MAX_POSITIONS = 77;
    }

    /**
     * @param blockOut        block_out_channels (4 blocks, multiples of 32)
     * @param layersPerBlock  resnets per encoder block (decoder blocks have one more)
     * @param scalingFactor   latent scaling factor written to the config
     */
    public record Vae(int[] blockOut, int layersPerBlock, double scalingFactor) {
        public Vae {
            blockOut = blockOut.clone();
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

    /** Latent channels of every SD 1.x/2.x VAE and UNet. */
    public static final int LATENT_CHANNELS = 4;
}
