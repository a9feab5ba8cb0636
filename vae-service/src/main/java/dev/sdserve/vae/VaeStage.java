package dev.sdserve.vae;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OnnxInputs;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The VAE of one model: {@code vae_decoder} (latents to images) and, loaded on first use, {@code vae_encoder}
 * (images to the latent mean, for img2img). The latent scaling factor comes from the VAE's config (0.18215 on
 * SD 1.x/2.x, 0.13025 on SDXL). A float16 export runs in float32 unless its config says {@code force_upcast: false}
 * (diffusers' default is true: SDXL's VAE overflows in float16), see {@link Float32Upcast}. Thread-safe: ONNX
 * Runtime sessions may run concurrently.
 */
public final class VaeStage implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VaeStage.class);
    private final ModelFolder model;
    private final RuntimeOptions options;
    private final VaeLimits limits;
    private final float scalingFactor;
    private final int latentChannels;
    private final OrtSessions.Loaded decoder;
    private OrtSessions.Loaded encoder;

    private VaeStage(ModelFolder model, RuntimeOptions options, VaeLimits limits, OrtSessions.Loaded decoder) {
        this.model = model;
        this.options = options;
        this.limits = limits;
        this.decoder = decoder;
        this.scalingFactor = (float) model.vaeScalingFactor();
        this.latentChannels = latentChannels(model, decoder.session());
    }

    /** Loads the decoder of {@code model}; NOT_FOUND when it has no {@code vae_decoder/model.onnx}. */
    public static VaeStage load(ModelFolder model, RuntimeOptions options, VaeLimits limits) {
        return new VaeStage(model, options, limits, open(model, ModelFolder.Part.VAE_DECODER, options));
    }

    /**
     * Opens a VAE part; one whose first input is float16 is upcast to float32 first unless its config sets
     * {@code force_upcast} to false.
     */
    static OrtSessions.Loaded open(ModelFolder model, ModelFolder.Part part, RuntimeOptions options) {
        Path onnx = model.onnx(part);
        boolean forceUpcast = model.config(part).path("force_upcast").asBoolean(true);
        String first = OnnxInputs.of(onnx).keySet().stream().findFirst().orElse("");
        if (!forceUpcast || !"float16".equals(OnnxInputs.dtype(onnx, first).orElse(""))) {
            return OrtSessions.open(onnx, options);
        }
        ModelProto m = Float32Upcast.parse(onnx);
        LOG.infof("%s of %s is float16: upcast to float32 (force_upcast)", part.dir, model.name());
        return OrtSessions.open(Float32Upcast.upcast(m, onnx.getParent()).toByteArray(), onnx.getParent(), onnx,
                options, o -> { });
    }

    /** The latent scaling factor from the model's config (0.18215 for SD 1.x and 2.x). */
    public double scalingFactor() {
        return scalingFactor;
    }

    public int latentChannels() {
        return latentChannels;
    }

    public ModelFolder model() {
        return model;
    }

    /** The element type the decoder computes in, as its session declares its input (FLOAT after an upcast). */
    public OnnxJavaType decoderType() {
        return TensorCodec.inputType(decoder.session(), decoder.session().getInputNames().iterator().next());
    }

    /** The execution provider the decoder runs on (cpu, cuda, coreml). */
    public String executionProvider() {
        return decoder.provider().id();
    }

    /**
     * Decodes latents {@code [B, C, h, w]} as the denoising loop ends with them (NOT yet divided by the scaling
     * factor), {@code decodingBatchSize} images per decoder call (0 = 1) so that memory stays bounded.
     */
    public DecodedImages decode(FloatTensor latents, int decodingBatchSize) {
        VaeInputs.checkLatents(latents, latentChannels, limits);
        int batch = (int) latents.dim(0);
        int chunk = VaeInputs.chunkSize(decodingBatchSize, batch);
        List<FloatTensor> images = new ArrayList<>();
        List<Png.Rgb> rgb = new ArrayList<>(batch);
        for (int from = 0; from < batch; from += chunk) {
            int to = Math.min(batch, from + chunk);
            FloatTensor z = VaeImages.unscale(latents.slice0(from, to), scalingFactor);
            VaeInputs.requireFinite(z, "latents / scaling_factor (latents too large)");
            FloatTensor image = VaeImages.toImage(decodeChunk(z, from));
            images.add(image);
            rgb.addAll(VaeImages.toRgb(image));
        }
        return new DecodedImages(images.size() == 1 ? images.get(0) : FloatTensor.concat0(images), rgb);
    }

    private FloatTensor decodeChunk(FloatTensor z, int firstImage) {
        long[] s = z.shape();
        FloatTensor x = runSingle(decoder.session(), "vae_decoder", z, Optional.empty());
        long[] want = {s[0], 3, s[2] * VaeInputs.VAE_FACTOR, s[3] * VaeInputs.VAE_FACTOR};
        if (!Arrays.equals(x.shape(), want)) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_decoder of " + model.name()
                    + " returned shape " + Arrays.toString(x.shape()) + " for latents " + Arrays.toString(s)
                    + "; expected " + Arrays.toString(want));
        }
        String bad = VaeInputs.describeNonFinite(x);
        if (bad != null) {
            // Finite latents in, NaN/Inf out: the decoder overflowed. Say so instead of returning a black image.
            String which = s[0] == 1 ? "image " + firstImage : "images " + firstImage + "-" + (firstImage + s[0] - 1);
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_decoder of " + model.name()
                    + " produced non-finite pixels for " + which + ": " + bad + ". The latents were finite (max |latent"
                    + " / scaling_factor| = " + maxAbs(z) + "), so the decoder overflowed: either the latents are far"
                    + " outside the usual range of a few tens, or the VAE runs in float16 (use a float32 vae_decoder).");
        }
        return x;
    }

    /**
     * Encodes pixels {@code [B, 3, H, W]} in [0, 1] to the latent distribution's mean {@code [B, C, H/8, W/8]},
     * NOT multiplied by the scaling factor. One image per encoder call bounds memory at large sizes.
     */
    public FloatTensor encode(FloatTensor pixels) {
        return encode(pixels, "pixels");
    }

    private FloatTensor encode(FloatTensor pixels, String field) {
        VaeInputs.checkPixels(pixels, field, limits);
        OrtSession session = encoder().session();
        String output = encoderOutput(session);
        List<FloatTensor> means = new ArrayList<>();
        for (int b = 0; b < pixels.dim(0); b++) {
            FloatTensor raw = runSingle(session, "vae_encoder", VaeImages.toSigned(pixels.slice0(b, b + 1)),
                    Optional.of(output));
            FloatTensor mean = LatentMean.of(output, raw, latentChannels);
            String bad = VaeInputs.describeNonFinite(mean);
            if (bad != null) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_encoder of " + model.name()
                        + " produced a non-finite mean for image " + b + ": " + bad);
            }
            means.add(mean);
        }
        return means.size() == 1 ? means.get(0) : FloatTensor.concat0(means);
    }

    /**
     * Encodes PNG/JPEG files (alpha dropped, grey replicated) as {@link #encode}; all must have the same size.
     * Each file's declared size is checked before its pixels are decoded.
     */
    public FloatTensor encodeFiles(List<byte[]> files) {
        VaeInputs.checkBatch("encoded_images", files.size(), limits);
        List<FloatTensor> pixels = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            FloatTensor p = Png.decodePixels(files.get(i), "encoded_images[" + i + "]", limits.maxPixels());
            if (i > 0 && !Arrays.equals(p.shape(), pixels.get(0).shape())) {
                throw SdException.invalid("encoded_images[" + i + "]: is " + p.dim(3) + "x" + p.dim(2)
                        + " but encoded_images[0] is " + pixels.get(0).dim(3) + "x" + pixels.get(0).dim(2)
                        + "; one request encodes images of one size");
            }
            pixels.add(p);
        }
        return encode(pixels.size() == 1 ? pixels.get(0) : FloatTensor.concat0(pixels), "encoded_images");
    }

    private synchronized OrtSessions.Loaded encoder() {
        if (encoder == null) {
            encoder = open(model, ModelFolder.Part.VAE_ENCODER, options);
        }
        return encoder;
    }

    /** latent_sample, else latent_parameters, else the encoder's only output. */
    static String encoderOutput(OrtSession session) {
        var names = session.getOutputNames();
        if (names.contains(LatentMean.SAMPLE)) return LatentMean.SAMPLE;
        if (names.contains(LatentMean.PARAMETERS)) return LatentMean.PARAMETERS;
        if (names.size() == 1) return names.iterator().next();
        throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_encoder has outputs " + names
                + "; expected " + LatentMean.SAMPLE + " or " + LatentMean.PARAMETERS);
    }

    /** Runs a one-input graph and returns the named output (or the first one). */
    private static FloatTensor runSingle(OrtSession session, String what, FloatTensor input, Optional<String> output) {
        String in = session.getInputNames().iterator().next();
        try (OnnxTensor x = TensorCodec.toOnnx(input, session, in);
             OrtSession.Result r = session.run(Map.of(in, x))) {
            OnnxValue v = output.isPresent() ? r.get(output.get()).orElseThrow() : r.get(0);
            return TensorCodec.fromOnnx(v);
        } catch (OrtException e) {
            throw SdException.internal(what + " failed on input " + input + ": " + e.getMessage(), e);
        }
    }

    private static float maxAbs(FloatTensor t) {
        float m = 0;
        for (int i = 0; i < t.size(); i++) m = Math.max(m, Math.abs(t.get(i)));
        return m;
    }

    /** The decoder input's declared channel count, else the config's latent_channels, else 4. */
    private static int latentChannels(ModelFolder model, OrtSession decoder) {
        long[] shape = TensorCodec.inputShape(decoder, decoder.getInputNames().iterator().next());
        if (shape.length == 4 && shape[1] > 0) return (int) shape[1];
        return model.config(ModelFolder.Part.VAE_DECODER).path("latent_channels").asInt(4);
    }

    @Override
    public synchronized void close() {
        decoder.close();
        if (encoder != null) encoder.close();
    }
}
