package dev.sdserve.forge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JSON files of a diffusers/optimum ONNX model folder, with the keys and values that diffusers and
 * transformers write for the forged sizes: model_index.json, scheduler_config.json and each part's config.json.
 */
final class ConfigFiles {
    static final String DIFFUSERS_VERSION = "0.30.0";

    private ConfigFiles() {
    }

    static void writeJson(Path file, ObjectNode node) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
    }

    static ObjectNode modelIndex(ModelDims dims) {
        return dims.sdxl() ? sdxlModelIndex(dims.kind()) : modelIndex();
    }

    /** SD 1.x/2.x: the ONNX pipeline's index. */
    static ObjectNode modelIndex() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", "OnnxStableDiffusionPipeline").put("_diffusers_version", DIFFUSERS_VERSION);
        n.putArray("feature_extractor").addNull().addNull();
        n.put("requires_safety_checker", false);
        n.putArray("safety_checker").addNull().addNull();
        n.putArray("scheduler").add("diffusers").add("PNDMScheduler");
        n.putArray("text_encoder").add("diffusers").add("OnnxRuntimeModel");
        n.putArray("tokenizer").add("transformers").add("CLIPTokenizer");
        for (String part : new String[] {"unet", "vae_decoder", "vae_encoder"}) {
            n.putArray(part).add("diffusers").add("OnnxRuntimeModel");
        }
        return n;
    }

    /** SDXL as current optimum exports write it: StableDiffusionXLPipeline, zeros for an empty negative prompt. */
    private static ObjectNode sdxlModelIndex(String kind) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", "StableDiffusionXLPipeline").put("_diffusers_version", DIFFUSERS_VERSION)
                .put("force_zeros_for_empty_prompt", true).putNull("add_watermarker");
        n.putArray("scheduler").add("diffusers").add(sdxlSchedulerClass(kind));
        n.putArray("text_encoder").add("transformers").add("CLIPTextModel");
        n.putArray("text_encoder_2").add("transformers").add("CLIPTextModelWithProjection");
        n.putArray("tokenizer").add("transformers").add("CLIPTokenizer");
        n.putArray("tokenizer_2").add("transformers").add("CLIPTokenizer");
        n.putArray("unet").add("diffusers").add("UNet2DConditionModel");
        n.putArray("vae").add("diffusers").add("AutoencoderKL");
        return n;
    }

    private static String sdxlSchedulerClass(String kind) {
        return kind.equals("sdxl-turbo") ? "EulerAncestralDiscreteScheduler" : "EulerDiscreteScheduler";
    }

    static ObjectNode scheduler(ModelDims dims) {
        return dims.sdxl() ? sdxlScheduler(dims.kind()) : scheduler();
    }

    /**
     * SDXL base's scheduler file (Euler, "leading" spacing) or SDXL-Turbo's (Euler ancestral, "trailing"); the
     * rest of the keys are the same in both.
     */
    private static ObjectNode sdxlScheduler(String kind) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", sdxlSchedulerClass(kind)).put("_diffusers_version", DIFFUSERS_VERSION)
                .put("beta_end", 0.012).put("beta_schedule", "scaled_linear").put("beta_start", 0.00085)
                .put("clip_sample", false).put("interpolation_type", "linear").put("num_train_timesteps", 1000)
                .put("prediction_type", "epsilon").put("sample_max_value", 1.0).put("set_alpha_to_one", false)
                .put("skip_prk_steps", true).put("steps_offset", 1)
                .put("timestep_spacing", kind.equals("sdxl-turbo") ? "trailing" : "leading")
                .putNull("trained_betas").put("use_karras_sigmas", false);
        return n;
    }

    /** SD 1.5's and SD 2.1-base's scheduler file (both PNDM, epsilon prediction). */
    static ObjectNode scheduler() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", "PNDMScheduler").put("_diffusers_version", DIFFUSERS_VERSION)
                .put("beta_end", 0.012).put("beta_schedule", "scaled_linear").put("beta_start", 0.00085)
                .put("clip_sample", false).put("num_train_timesteps", 1000).put("prediction_type", "epsilon")
                .put("set_alpha_to_one", false).put("skip_prk_steps", true).put("steps_offset", 1)
                .putNull("trained_betas");
        return n;
    }

    static ObjectNode unet(ModelDims.Unet u) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", "UNet2DConditionModel").put("_diffusers_version", DIFFUSERS_VERSION)
                .put("act_fn", "silu");
        if (u.headsAsList()) ints(n.putArray("attention_head_dim"), u.heads());
        else n.put("attention_head_dim", u.heads()[0]);
        ints(n.putArray("block_out_channels"), u.blockOut());
        n.put("center_input_sample", false).put("cross_attention_dim", u.crossAttentionDim());
        ArrayNode down = n.putArray("down_block_types");
        for (int d : u.depth()) down.add(d > 0 ? "CrossAttnDownBlock2D" : "DownBlock2D");
        n.put("downsample_padding", 1).put("dual_cross_attention", false).put("flip_sin_to_cos", true)
                .put("freq_shift", 0).put("in_channels", ModelDims.LATENT_CHANNELS)
                .put("layers_per_block", u.layersPerBlock()).put("mid_block_scale_factor", 1)
                .put("mid_block_type", "UNetMidBlock2DCrossAttn").put("norm_eps", 1e-05)
                .put("norm_num_groups", Layers.GROUPS).put("only_cross_attention", false)
                .put("out_channels", ModelDims.LATENT_CHANNELS).put("sample_size", u.sampleSize())
                .put("time_embedding_type", "positional");
        if (u.textTime().isPresent()) {
            ModelDims.TextTime tt = u.textTime().get();
            n.put("addition_embed_type", "text_time").put("addition_embed_type_num_heads", 64)
                    .put("addition_time_embed_dim", tt.timeEmbedDim())
                    .put("projection_class_embeddings_input_dim", tt.inputDim());
            ArrayNode layers = n.putArray("transformer_layers_per_block");
            for (int d : u.depth()) layers.add(Math.max(1, d));
        } else {
            n.put("transformer_layers_per_block", 1);
        }
        ArrayNode up = n.putArray("up_block_types");
        int[] depth = u.depth();
        for (int i = depth.length - 1; i >= 0; i--) up.add(depth[i] > 0 ? "CrossAttnUpBlock2D" : "UpBlock2D");
        n.put("upcast_attention", false).put("use_linear_projection", u.linearProjection());
        return n;
    }

    static ObjectNode textEncoder(ModelDims.Text t) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putArray("architectures").add(t.io() == ModelDims.TextIo.SDXL_PROJECTED
                ? "CLIPTextModelWithProjection" : "CLIPTextModel");
        n.put("attention_dropout", 0.0).put("bos_token_id", t.bosId()).put("eos_token_id", t.eosId())
                .put("hidden_act", t.gelu() ? "gelu" : "quick_gelu").put("hidden_size", t.hidden())
                .put("initializer_factor", 1.0).put("initializer_range", 0.02)
                .put("intermediate_size", t.intermediate()).put("layer_norm_eps", 1e-05)
                .put("max_position_embeddings", ModelDims.Text.MAX_POSITIONS).put("model_type", "clip_text_model")
                .put("num_attention_heads", t.heads()).put("num_hidden_layers", t.layers())
                .put("pad_token_id", t.padId()).put("projection_dim", t.projectionDim())
                .put("torch_dtype", "float32").put("vocab_size", t.vocabSize());
        return n;
    }

    /** @param imageSize the image side the model is meant for (8 × the UNet's sample_size) */
    static ObjectNode vae(ModelDims.Vae v, int imageSize) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("_class_name", "AutoencoderKL").put("_diffusers_version", DIFFUSERS_VERSION).put("act_fn", "silu");
        ints(n.putArray("block_out_channels"), v.blockOut());
        ArrayNode down = n.putArray("down_block_types");
        for (int i = 0; i < 4; i++) down.add("DownEncoderBlock2D");
        n.put("force_upcast", true).put("in_channels", 3).put("latent_channels", ModelDims.LATENT_CHANNELS)
                .put("layers_per_block", v.layersPerBlock()).put("mid_block_add_attention", true)
                .put("norm_num_groups", Layers.GROUPS).put("out_channels", 3).put("sample_size", imageSize)
                .put("scaling_factor", v.scalingFactor());
        ArrayNode up = n.putArray("up_block_types");
        for (int i = 0; i < 4; i++) up.add("UpDecoderBlock2D");
        n.put("use_post_quant_conv", true).put("use_quant_conv", true);
        return n;
    }

    private static void ints(ArrayNode a, int[] values) {
        for (int v : values) a.add(v);
    }
}
