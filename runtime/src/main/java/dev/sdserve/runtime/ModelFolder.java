package dev.sdserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A Stable Diffusion model folder in the diffusers/optimum ONNX layout:
 * {@code model_index.json}, {@code scheduler/}, {@code tokenizer/}, {@code text_encoder/}, {@code unet/},
 * {@code vae_decoder/}, {@code vae_encoder/}, and for SDXL {@code tokenizer_2/} and {@code text_encoder_2/}.
 * A part's {@code model.onnx} may keep its weights in an external file beside it ({@code model.onnx_data});
 * ONNX Runtime reads it relative to the model's folder. Paths are resolved lazily; a missing part is reported by
 * name when a stage asks for it, so a folder with only a UNet still serves unet-service.
 */
public final class ModelFolder {
    /** The parts of a model folder. */
    public enum Part {
        TEXT_ENCODER("text_encoder"), UNET("unet"), VAE_DECODER("vae_decoder"), VAE_ENCODER("vae_encoder"),
        /** SDXL's second text encoder (CLIPTextModelWithProjection). */
        TEXT_ENCODER_2("text_encoder_2");

        public final String dir;

        Part(String dir) {
            this.dir = dir;
        }
    }

    /** The tokenizer folders: {@code tokenizer/} for text_encoder, {@code tokenizer_2/} for text_encoder_2. */
    public enum Tokenizer {
        FIRST("tokenizer"), SECOND("tokenizer_2");

        public final String dir;

        Tokenizer(String dir) {
            this.dir = dir;
        }
    }

    /** The external-weights file name that optimum and torch.onnx write beside a large model.onnx. */
    public static final String EXTERNAL_DATA = "model.onnx_data";

    private final String name;
    private final Path root;
    private volatile ModelFamily family;

    public ModelFolder(String name, Path root) {
        this.name = name;
        this.root = root;
    }

    /** Opens a folder, checking that it looks like a model (has model_index.json or a unet/). */
    public static ModelFolder open(String name, Path root) {
        if (!Files.isDirectory(root)) {
            throw SdException.notFound("model '" + name + "' not found: no folder " + root);
        }
        if (!Files.isRegularFile(root.resolve("model_index.json")) && !Files.isDirectory(root.resolve("unet"))) {
            throw SdException.notFound("model '" + name + "': folder " + root
                    + " has neither model_index.json nor unet/; it is not a diffusers ONNX model folder");
        }
        return new ModelFolder(name, root);
    }

    public String name() {
        return name;
    }

    public Path root() {
        return root;
    }

    /** {@code <part>/model.onnx}; NOT_FOUND naming the part when it is missing. */
    public Path onnx(Part part) {
        Path p = root.resolve(part.dir).resolve("model.onnx");
        if (!Files.isRegularFile(p)) {
            throw SdException.notFound("model '" + name + "' has no " + part.dir + "/model.onnx");
        }
        return p;
    }

    public boolean has(Part part) {
        return Files.isRegularFile(root.resolve(part.dir).resolve("model.onnx"));
    }

    /** {@code <part>/model.onnx_data} when the export keeps the part's weights there. */
    public Optional<Path> externalData(Part part) {
        Path p = root.resolve(part.dir).resolve(EXTERNAL_DATA);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** {@code tokenizer/}; NOT_FOUND naming it when its vocab.json or merges.txt is missing. */
    public Path tokenizerDir() {
        return tokenizerDir(Tokenizer.FIRST);
    }

    /** {@code tokenizer/} or {@code tokenizer_2/}; NOT_FOUND naming the folder when its BPE files are missing. */
    public Path tokenizerDir(Tokenizer which) {
        Path p = root.resolve(which.dir);
        if (!Files.isRegularFile(p.resolve("vocab.json")) || !Files.isRegularFile(p.resolve("merges.txt"))) {
            throw SdException.notFound("model '" + name + "' has no " + which.dir + "/vocab.json and "
                    + which.dir + "/merges.txt");
        }
        return p;
    }

    public JsonNode modelIndex() {
        return optionalJson(root.resolve("model_index.json"));
    }

    public JsonNode schedulerConfig() {
        Path p = root.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(p)) {
            throw SdException.notFound("model '" + name + "' has no scheduler/scheduler_config.json");
        }
        return Json.read(p);
    }

    /** {@code <part>/config.json}, or an empty object when the export has none. */
    public JsonNode config(Part part) {
        return optionalJson(root.resolve(part.dir).resolve("config.json"));
    }

    /** The VAE's latent scaling factor (0.18215 for SD 1.x and 2.x when the config does not say). */
    public double vaeScalingFactor() {
        JsonNode dec = config(Part.VAE_DECODER).get("scaling_factor");
        if (dec != null && dec.isNumber()) return dec.doubleValue();
        JsonNode enc = config(Part.VAE_ENCODER).get("scaling_factor");
        if (enc != null && enc.isNumber()) return enc.doubleValue();
        return 0.18215;
    }

    /** The native image side in pixels: the UNet's sample_size times 8 (512 for SD 1.5 when unknown). */
    public int nativeSize() {
        JsonNode s = config(Part.UNET).get("sample_size");
        return s != null && s.isInt() ? s.intValue() * 8 : 512;
    }

    /**
     * The UNet's number of up blocks: the length of its config's {@code up_block_types}, else 3 for SDXL and 4
     * otherwise. DeepCache has 3 cache branches per up block (0..11 on SD 1.x/2.x, 0..8 on SDXL).
     */
    public int unetUpBlocks() {
        JsonNode types = config(Part.UNET).get("up_block_types");
        if (types != null && types.isArray() && types.size() > 0) return types.size();
        return isSdxl() ? 3 : 4;
    }

    /** The family's id: sd15, sd21 or sdxl (see {@link #family()}). */
    public String kind() {
        return family().id();
    }

    /**
     * The pipeline family, from the folder's files, never its name: SDXL when {@code model_index.json}'s
     * {@code _class_name} is diffusers' SDXL pipeline (StableDiffusionXLPipeline, with or without optimum's ORT /
     * Onnx prefix) or the UNet declares the {@code text_embeds} and {@code time_ids} inputs; else SD 2.x or SD 1.x
     * from the UNet and text-encoder configs.
     */
    public ModelFamily family() {
        ModelFamily f = family;
        if (f == null) family = f = recognise();
        return f;
    }

    /** True when the family is SDXL: the folder must then have tokenizer_2/ and text_encoder_2/. */
    public boolean isSdxl() {
        return family().isSdxl();
    }

    /**
     * NOT_FOUND naming the first missing part an SDXL folder needs beyond SD's ({@code tokenizer_2/},
     * {@code text_encoder_2/model.onnx}); nothing for other families.
     */
    public void requireSdxlParts() {
        if (!isSdxl()) return;
        Path tok = root.resolve(Tokenizer.SECOND.dir);
        if (!Files.isDirectory(tok)) {
            throw SdException.notFound("model '" + name + "' is an SDXL model but has no " + Tokenizer.SECOND.dir + "/");
        }
        tokenizerDir(Tokenizer.SECOND);
        if (!has(Part.TEXT_ENCODER_2)) {
            throw SdException.notFound("model '" + name + "' is an SDXL model but has no " + Part.TEXT_ENCODER_2.dir
                    + "/model.onnx");
        }
    }

    private ModelFamily recognise() {
        JsonNode cls = modelIndex().get("_class_name");
        if (cls != null && ModelFamily.isSdxlPipelineClass(cls.asText())) return ModelFamily.SDXL;
        if (has(Part.UNET)) {
            Map<String, Integer> inputs = OnnxInputs.of(root.resolve(Part.UNET.dir).resolve("model.onnx"));
            if (inputs.containsKey("text_embeds") && inputs.containsKey("time_ids")) return ModelFamily.SDXL;
        }
        return sd1or2();
    }

    private ModelFamily sd1or2() {
        JsonNode unet = config(Part.UNET);
        JsonNode cad = unet.get("cross_attention_dim");
        JsonNode heads = unet.get("attention_head_dim");
        if (cad != null && cad.asInt() == 1024) return ModelFamily.SD21;
        if (heads != null && heads.isArray()) return ModelFamily.SD21; // SD2 lists per-block head dims
        if (cad != null && cad.asInt() == 768) return ModelFamily.SD15;
        JsonNode act = config(Part.TEXT_ENCODER).get("hidden_act");
        if (act != null && "gelu".equals(act.asText())) return ModelFamily.SD21;
        return ModelFamily.SD15;
    }

    /** The scheduler_config.json class name, e.g. PNDMScheduler. */
    public String defaultScheduler() {
        JsonNode c = schedulerConfig().get("_class_name");
        return c == null ? "PNDMScheduler" : c.asText();
    }

    private static JsonNode optionalJson(Path p) {
        return Files.isRegularFile(p) ? Json.read(p) : Json.MAPPER.createObjectNode();
    }

    @Override
    public String toString() {
        return name + " (" + root + ")";
    }
}
