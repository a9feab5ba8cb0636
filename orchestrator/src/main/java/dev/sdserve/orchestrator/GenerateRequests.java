package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.pipeline.CacheParams;
import dev.sdserve.orchestrator.pipeline.GenerationRequest;
import dev.sdserve.orchestrator.pipeline.InitImage;
import dev.sdserve.orchestrator.deepcache.CacheSchedules;
import dev.sdserve.orchestrator.scheduler.Scheduler;
import dev.sdserve.orchestrator.scheduler.Schedulers;
import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Validates a public {@link GenerateRequest} and resolves its defaults into a {@link GenerationRequest}. Every
 * rejection is INVALID_ARGUMENT with a message that starts with the offending field's proto name. Proto3's
 * zero means "not set" for the fields whose documented default is not zero (steps, n_images, sizes,
 * cache_interval, strength, decoding_batch_size).
 */
public final class GenerateRequests {
    public static final int MAX_STEPS = 1000;
    public static final int DEFAULT_STEPS = 50;
    public static final double DEFAULT_GUIDANCE = 7.5;
    public static final double DEFAULT_STRENGTH = 0.9;
    public static final int MAX_CACHE_BRANCH = 11;

    /**
     * Request limits: {@code sd.orchestrator.max-images}, {@code max-side} and {@code max-pixels}. max-pixels is
     * the stages' limit per image (vae-service's {@code sd.vae.max-pixels}; both read {@code SD_MAX_PIXELS}), checked
     * here so that a size a stage would refuse fails before the first UNet step.
     */
    public record Limits(int maxImages, int maxSide, long maxPixels) {
        /** vae-service's default {@code sd.vae.max-pixels}. */
        public static final long DEFAULT_MAX_PIXELS = 1L << 20;
        public static final Limits DEFAULT = new Limits(8, 2048, DEFAULT_MAX_PIXELS);

        public Limits(int maxImages, int maxSide) {
            this(maxImages, maxSide, DEFAULT_MAX_PIXELS);
        }
    }

    private final ModelRoots roots;
    private final Limits limits;

    public GenerateRequests(ModelRoots roots, Limits limits) {
        this.roots = roots;
        this.limits = limits;
    }

    /** The validated request; throws INVALID_ARGUMENT (or NOT_FOUND for an unknown model) naming the field. */
    public GenerationRequest validate(GenerateRequest p) {
        int steps = orDefault(p.getSteps(), DEFAULT_STEPS);
        SdException.require(steps >= 1 && steps <= MAX_STEPS, "steps: " + p.getSteps() + " is outside 1.." + MAX_STEPS);
        double guidance = p.hasGuidance() ? p.getGuidance() : DEFAULT_GUIDANCE;
        SdException.require(Double.isFinite(guidance), "guidance: " + guidance + " is not a finite number");
        int nImages = orDefault(p.getNImages(), 1);
        SdException.require(nImages >= 1 && nImages <= limits.maxImages(),
                "n_images: " + p.getNImages() + " is outside 1.." + limits.maxImages());
        SdException.require(p.getPreviewInterval() >= 0, "preview_interval: " + p.getPreviewInterval() + " is negative");
        SdException.require(p.getDecodingBatchSize() >= 0,
                "decoding_batch_size: " + p.getDecodingBatchSize() + " is negative");
        ModelFolder model = roots.resolve(p.getModel());
        requireParts(model, p.hasInitImage());
        int height = side("height", p.getHeight(), model);
        int width = side("width", p.getWidth(), model);
        SdException.require((long) height * width <= limits.maxPixels(), "height, width: " + width + "x" + height
                + " is " + (long) height * width + " pixels, more than the stages' limit of " + limits.maxPixels()
                + " per image (sd.orchestrator.max-pixels / sd.vae.max-pixels, SD_MAX_PIXELS)");
        CacheParams cache = cache(p.getDeepcache());
        long seed = p.hasSeed() ? p.getSeed() : ThreadLocalRandom.current().nextLong(1L << 32);
        Optional<InitImage> init = p.hasInitImage() ? Optional.of(initImage(p, steps)) : Optional.empty();
        long[] latentShape = {nImages, 4, height / 8, width / 8};
        Optional<FloatTensor> latents = p.hasInitialLatents()
                ? Optional.of(initialLatents(p, latentShape)) : Optional.empty();
        GenerationRequest r = new GenerationRequest(model, p.getPrompt(), p.getNegativePrompt(), nImages, steps,
                guidance, seed, height, width, p.getScheduler().trim(), orDefault(p.getDecodingBatchSize(), 1), cache,
                p.getPreviewInterval(), latents, init, p.getReturnLatents());
        checkSchedules(r);
        return r;
    }

    /**
     * The parts the stages will load, checked here (NOT_FOUND naming the part) so a model folder with parts
     * missing fails before any stage call. Every service mounts the same model folders.
     */
    private static void requireParts(ModelFolder model, boolean img2img) {
        model.tokenizerDir();
        model.onnx(ModelFolder.Part.TEXT_ENCODER);
        model.onnx(ModelFolder.Part.UNET);
        model.onnx(ModelFolder.Part.VAE_DECODER);
        if (img2img) model.onnx(ModelFolder.Part.VAE_ENCODER);
    }

    private int side(String field, int value, ModelFolder model) {
        int v = orDefault(value, model.nativeSize());
        SdException.require(v > 0 && v % 64 == 0, field + ": " + value + " is not a positive multiple of 64");
        SdException.require(v <= limits.maxSide(), field + ": " + value + " is larger than the limit of " + limits.maxSide());
        return v;
    }

    static CacheParams cache(DeepCacheParams d) {
        SdException.require(d.getCacheInterval() >= 0, "deepcache.cache_interval: " + d.getCacheInterval() + " is less than 1");
        SdException.require(d.getCacheBranchId() >= 0 && d.getCacheBranchId() <= MAX_CACHE_BRANCH,
                "deepcache.cache_branch_id: " + d.getCacheBranchId() + " is outside 0.." + MAX_CACHE_BRANCH);
        double center = d.getCenter() == 0 ? CacheParams.DEFAULT_CENTER : d.getCenter();
        double power = d.getPower() == 0 ? CacheParams.DEFAULT_POWER : d.getPower();
        SdException.require(Double.isFinite(center) && center > 0, "deepcache.center: " + d.getCenter() + " must be positive");
        SdException.require(Double.isFinite(power) && power > 1, "deepcache.power: " + d.getPower() + " must be > 1");
        return new CacheParams(orDefault(d.getCacheInterval(), 1), d.getCacheBranchId(), d.getNonUniform(), center, power);
    }

    /** Builds the scheduler and the cache schedule once, so a bad name or DeepCache setting fails here. */
    private static void checkSchedules(GenerationRequest r) {
        Scheduler s = Schedulers.create(r.scheduler(), r.model().schedulerConfig(), r.steps(), r.seed());
        CacheParams c = r.cache();
        try {
            CacheSchedules.create(c.interval(), c.nonUniform(), c.center(), c.power(), s.timesteps().length - r.beginIndex());
        } catch (SdException e) {
            throw SdException.invalid("deepcache: " + e.getMessage());
        }
    }

    private static InitImage initImage(GenerateRequest p, int steps) {
        var i = p.getInitImage();
        double strength = i.getStrength() == 0 ? DEFAULT_STRENGTH : i.getStrength();
        SdException.require(strength > 0 && strength <= 1, "init_image.strength: " + i.getStrength() + " is outside (0,1]");
        SdException.require((int) (steps * strength) >= 1, "init_image.strength: " + strength + " of " + steps
                + " steps leaves no denoising step");
        boolean hasFile = !i.getEncodedImage().isEmpty();
        SdException.require(hasFile != i.hasPixels(), "init_image: give exactly one of encoded_image and pixels");
        return hasFile ? InitImage.ofEncoded(i.getEncodedImage().toByteArray(), strength)
                : InitImage.ofPixels(TensorCodec.fromProto(i.getPixels(), "init_image.pixels"), strength);
    }

    private static FloatTensor initialLatents(GenerateRequest p, long[] expected) {
        FloatTensor t = TensorCodec.fromProto(p.getInitialLatents(), "initial_latents");
        SdException.require(Arrays.equals(t.shape(), expected), "initial_latents: shape " + Arrays.toString(t.shape())
                + " does not match [n_images, 4, height/8, width/8] = " + Arrays.toString(expected));
        SdException.require(t.allFinite(), "initial_latents: contains NaN or infinite values");
        return t;
    }

    private static int orDefault(int value, int fallback) {
        return value == 0 ? fallback : value;
    }
}
