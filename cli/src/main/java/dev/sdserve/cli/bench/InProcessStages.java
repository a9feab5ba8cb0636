package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserClient;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.orchestrator.pipeline.InitImage;
import dev.sdserve.orchestrator.pipeline.StageClients;
import dev.sdserve.orchestrator.pipeline.TextEmbeddings;
import dev.sdserve.orchestrator.pipeline.TextEncoderClient;
import dev.sdserve.orchestrator.pipeline.VaeClient;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.Png;
import dev.sdserve.textencoder.TextEncoderModels;
import dev.sdserve.textencoder.TextEncoderStage;
import dev.sdserve.unet.DenoiseSession;
import dev.sdserve.unet.DenoiseSessions;
import dev.sdserve.unet.FeatureStore;
import dev.sdserve.unet.UnetConditioning;
import dev.sdserve.unet.UnetSettings;
import dev.sdserve.vae.VaeLimits;
import dev.sdserve.vae.VaeModels;
import dev.sdserve.vae.VaeStage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The three stages in this process, behind the same client interfaces the orchestrator's gRPC clients
 * implement, so {@code Pipeline} runs unchanged. Each adapter is the thinnest possible call into the stage
 * class the service wraps. The UNet adapter also records every step's ONNX Runtime time in a {@link StepLog}.
 */
final class InProcessStages implements AutoCloseable {
    /** One model at a time: the benchmark never needs two, and a full-size UNet is gigabytes. */
    private static final int MAX_LOADED = 1;
    private static final long FEATURE_BYTES = 2L << 30;

    private final TextEncoderModels text;
    private final DenoiseSessions unet;
    private final VaeModels vae;
    private final StepLog steps = new StepLog();

    InProcessStages(BenchSettings settings) {
        this.text = new TextEncoderModels(settings.roots(), settings.runtime(), MAX_LOADED,
                TextEncoderStage.Limits.defaults());
        UnetSettings unetSettings = new UnetSettings(Optional.of(settings.graphCacheDir()), Optional.empty(),
                new FeatureStore.Limits(FEATURE_BYTES, Duration.ofMinutes(10), 4));
        this.unet = new DenoiseSessions(settings.roots(), settings.runtime(), unetSettings, MAX_LOADED);
        this.vae = new VaeModels(settings.roots(), settings.runtime(), VaeLimits.defaults(), MAX_LOADED);
    }

    StageClients clients() {
        return new StageClients(textEncoder(), denoiser(), vaeClient());
    }

    /** The steps run since the last {@link StepLog#clear()}. */
    StepLog steps() {
        return steps;
    }

    private TextEncoderClient textEncoder() {
        return (model, prompts, prompts2) -> {
            try (ModelCache<TextEncoderStage>.Lease lease = text.acquire(model)) {
                TextEncoderStage.Encoded e = lease.get().encode(prompts, prompts2);
                return new TextEmbeddings(e.lastHiddenState(), Optional.ofNullable(e.pooled()));
            }
        };
    }

    private DenoiserClient denoiser() {
        // SDXL's text_embeds and time_ids go to the session at open, as the gRPC client sends them
        return (model, c, branch) -> new Session(unet.open(model, new UnetConditioning(c.encoderHiddenStates(),
                c.textEmbeds().orElse(null), c.timeIds().orElse(null)), branch));
    }

    private VaeClient vaeClient() {
        return new VaeClient() {
            @Override
            public List<Png.Rgb> decode(String model, FloatTensor latents) {
                try (ModelCache<VaeStage>.Lease lease = vae.acquire(model)) {
                    return lease.get().decode(latents, (int) latents.dim(0)).rgb();
                }
            }

            @Override
            public FloatTensor encode(String model, InitImage image) {
                try (ModelCache<VaeStage>.Lease lease = vae.acquire(model)) {
                    return image.pixels() != null ? lease.get().encode(image.pixels())
                            : lease.get().encodeFiles(List.of(image.encoded()));
                }
            }
        };
    }

    /** {@link DenoiserSession} over the unet-service's own session class. */
    private final class Session implements DenoiserSession {
        private final DenoiseSession session;

        Session(DenoiseSession session) {
            this.session = session;
        }

        @Override
        public StepResult step(FloatTensor sample, double t, StepMode mode) {
            DenoiseSession.StepResult r = session.step(sample, t, DenoiseSession.Mode.valueOf(mode.name()));
            StepMode ran = StepMode.valueOf(r.modeRun().name());
            steps.add(ran, r.runMs());
            return new StepResult(r.noisePred(), ran, r.cacheHit(), r.runMs(), r.serverMs());
        }

        @Override
        public void close() {
            session.close();
        }
    }

    @Override
    public void close() {
        unet.close();
        text.close();
        vae.close();
    }
}
