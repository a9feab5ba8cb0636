package dev.sdserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Stable Diffusion model folder in the diffusers/optimum ONNX layout:
 * {@code model_index.json}, {@code scheduler/}, {@code tokenizer/}, {@code text_encoder/}, {@code unet/},
 * {@code vae_decoder/}, {@code vae_encoder/}. Paths are resolved lazily; a missing part is reported by name
 * when a stage asks for it, so a folder with only a UNet still serves unet-service.
 */
public final class ModelFolder {
    /** The parts of a model folder. */
    public enum Part {
        TEXT_ENCODER("text_encoder"), UNET("unet"), VAE_DECODER("vae_decoder"), VAE_ENCODER("vae_encoder");

        public final String dir;

        Part(String dir) {
            this.dir = dir;
        }
    }

    private final String name;
    private final Path root;

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

    public Path tokenizerDir() {
        Path p = root.resolve("tokenizer");
        if (!Files.isRegularFile(p.resolve("vocab.json")) || !Files.isRegularFile(p.resolve("merges.txt"))) {
            throw SdException.notFound("model '" + name + "' has no tokenizer/vocab.json and tokenizer/merges.txt");
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

    /** sd15, sd21 or unknown, from the UNet and text-encoder configs. */
    public String kind() {
        JsonNode unet = config(Part.UNET);
        JsonNode cad = unet.get("cross_attention_dim");
        JsonNode heads = unet.get("attention_head_dim");
        if (cad != null && cad.asInt() == 1024) return "sd21";
        if (heads != null && heads.isArray()) return "sd21"; // SD2 lists per-block head dims
        if (cad != null && cad.asInt() == 768) return "sd15";
        JsonNode act = config(Part.TEXT_ENCODER).get("hidden_act");
        if (act != null && "gelu".equals(act.asText())) return "sd21";
        return "sd15";
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
