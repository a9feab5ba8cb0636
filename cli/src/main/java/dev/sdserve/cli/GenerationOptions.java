package dev.sdserve.cli;

import dev.sdserve.orchestrator.scheduler.Schedulers;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The flags txt2image and image2image share: mlx-examples' stable_diffusion CLI names and defaults, plus
 * reproducibility ({@code --latents}, {@code --save-latents}) and output ({@code --profile},
 * {@code --preview}) flags. Turns them into a {@link GenerateRequest}.
 */
public final class GenerationOptions {
    /** Scheduler short names the orchestrator resolves, Karras ones included (the model's own when the flag is absent). */
    static final List<String> SCHEDULERS = Schedulers.shortNames();
    static final int LATENT_CHANNELS = 4;
    static final int VAE_FACTOR = 8;
    /** The UNet needs latent sides that are multiples of 8, so images are multiples of 64 pixels. */
    static final int SIZE_MULTIPLE = 64;

    @Option(names = "--model", defaultValue = "", paramLabel = "NAME",
            description = "Model folder name under the models roots (default: the embedded default model).")
    String model;

    @Option(names = "--n_images", defaultValue = "4", paramLabel = "N", description = "Images to generate (default: ${DEFAULT-VALUE}).")
    int nImages;

    @Option(names = "--n_rows", defaultValue = "1", paramLabel = "R", description = "Rows of the output grid (default: ${DEFAULT-VALUE}).")
    int nRows;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "S", description = "Denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--cfg", defaultValue = "7.5", paramLabel = "G",
            description = "Classifier-free guidance scale; <= 1 disables CFG (default: ${DEFAULT-VALUE}).")
    double cfg;

    @Option(names = "--negative_prompt", defaultValue = "", paramLabel = "TEXT", description = "Negative prompt (default: empty).")
    String negativePrompt;

    @Option(names = "--decoding_batch_size", defaultValue = "1", paramLabel = "B",
            description = "Images per VAE decoder call (default: ${DEFAULT-VALUE}).")
    int decodingBatchSize;

    @Option(names = "--seed", paramLabel = "SEED", description = "Random seed (default: random, and printed). --latents overrides it.")
    Long seed;

    @Option(names = "--output", defaultValue = "out.png", paramLabel = "FILE", description = "Output PNG (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = {"--verbose", "-v"}, description = "Print each step (when not on a terminal) and the seed.")
    boolean verbose;

    @Option(names = "--height", paramLabel = "PX", description = "Image height, a multiple of 64 (default: the model's native size).")
    Integer height;

    @Option(names = "--width", paramLabel = "PX", description = "Image width, a multiple of 64 (default: the model's native size).")
    Integer width;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerNames.class,
            description = "One of: ${COMPLETION-CANDIDATES} (default: the model's scheduler_config.json class).")
    String scheduler;

    @Option(names = "--latents", paramLabel = "FILE.npy",
            description = "Initial N(0,1) latents, <f4 [n_images,4,H/8,W/8], before any scaling; overrides --seed."
                    + " For image2image: the noise added to the encoded image.")
    Path latents;

    @Option(names = {"--save-latents", "--save_latents"}, paramLabel = "FILE.npy",
            description = "Write the final latents (before the VAE's scaling) as <f4 [n_images,4,H/8,W/8].")
    Path saveLatents;

    @Option(names = "--profile", description = "Print the per-stage timing table the orchestrator reports.")
    boolean profile;

    @Option(names = "--preview", defaultValue = "0", paramLabel = "K",
            description = "Write a cheap preview every K steps to <output>.preview.png (default: 0 = none).")
    int preview;

    @Option(names = "--orchestrator", paramLabel = "HOST:PORT",
            description = "Orchestrator address (default: $" + Endpoint.ORCHESTRATOR_ENV + ", else localhost:50051).")
    String orchestrator;

    /** Picocli's completion candidates for --scheduler. */
    static final class SchedulerNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return SCHEDULERS.iterator();
        }
    }

    /** Range checks that picocli's type conversion does not do, as usage errors. */
    void validate(CommandLine cmd) {
        require(cmd, nImages >= 1, "--n_images must be >= 1, got " + nImages);
        require(cmd, nRows >= 1 && nImages % nRows == 0,
                "--n_images " + nImages + " must be a multiple of --n_rows " + nRows + " (n_rows >= 1)");
        require(cmd, steps >= 1 && steps <= 1000, "--steps must be in 1..1000, got " + steps);
        require(cmd, Double.isFinite(cfg) && cfg >= 0, "--cfg must be a finite number >= 0, got " + cfg);
        require(cmd, decodingBatchSize >= 1, "--decoding_batch_size must be >= 1, got " + decodingBatchSize);
        requireSize(cmd, "--height", height);
        requireSize(cmd, "--width", width);
        require(cmd, scheduler == null || SCHEDULERS.contains(scheduler),
                "--scheduler must be one of " + SCHEDULERS + ", got '" + scheduler + "'");
        require(cmd, preview >= 0, "--preview must be >= 0, got " + preview);
    }

    private static void requireSize(CommandLine cmd, String flag, Integer px) {
        require(cmd, px == null || px >= SIZE_MULTIPLE && px % SIZE_MULTIPLE == 0,
                flag + " must be a positive multiple of " + SIZE_MULTIPLE + ", got " + px);
    }

    private static void require(CommandLine cmd, boolean ok, String message) {
        if (!ok) throw new CommandLine.ParameterException(cmd, message);
    }

    /** Fills --height/--width when the user gave none (image2image takes them from its image). */
    void defaultSize(int widthPx, int heightPx) {
        if (width == null) width = widthPx;
        if (height == null) height = heightPx;
    }

    /** The seed to send: the flag, else a fresh random one; absent when --latents fixes the draw. */
    Long effectiveSeed() {
        if (latents != null) return null;
        if (seed == null) seed = new SecureRandom().nextLong() & 0xFFFF_FFFFL;
        return seed;
    }

    /** The request for {@code prompt}, without img2img input. Reads --latents (checking its shape). */
    GenerateRequest.Builder request(String prompt, DeepCacheOptions deepCache) {
        GenerateRequest.Builder b = GenerateRequest.newBuilder()
                .setModel(model)
                .setPrompt(prompt)
                .setNegativePrompt(negativePrompt)
                .setNImages(nImages)
                .setSteps(steps)
                .setGuidance(cfg)
                .setDecodingBatchSize(decodingBatchSize)
                .setDeepcache(deepCache.toProto())
                .setPreviewInterval(preview)
                .setReturnLatents(saveLatents != null);
        if (scheduler != null) b.setScheduler(scheduler);
        if (latents != null) b.setInitialLatents(TensorCodec.toProto(readLatents()));
        Long s = effectiveSeed();
        if (s != null) b.setSeed(s);
        if (height != null) b.setHeight(height);
        if (width != null) b.setWidth(width);
        return b;
    }

    /** --latents, checked against [n_images, 4, H/8, W/8]; fills a missing --height/--width from it. */
    private FloatTensor readLatents() {
        FloatTensor t = Npy.read(latents, "--latents");
        long[] s = t.shape();
        String want = "[" + nImages + ", " + LATENT_CHANNELS + ", "
                + (height == null ? "H/8" : height / VAE_FACTOR) + ", " + (width == null ? "W/8" : width / VAE_FACTOR) + "]";
        boolean ok = s.length == 4 && s[0] == nImages && s[1] == LATENT_CHANNELS && s[2] > 0 && s[3] > 0
                && (height == null || s[2] * VAE_FACTOR == height) && (width == null || s[3] * VAE_FACTOR == width);
        SdException.require(ok, "--latents: shape " + Arrays.toString(s) + " does not match " + want
                + " (--n_images, latent channels, --height/8, --width/8)");
        defaultSize((int) s[3] * VAE_FACTOR, (int) s[2] * VAE_FACTOR);
        return t;
    }

    /** Where --preview writes: the output path with {@code .preview.png} in place of its extension. */
    Path previewPath() {
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return output.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".preview.png");
    }
}
