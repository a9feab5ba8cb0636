package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stages that compute nothing: the UNet answers zeros and records what it was asked, the VAE answers grey
 * images. For tests of the loop's control flow (modes, events, cancel), not of its numbers.
 */
final class RecordingStages {
    final List<String> prompts = Collections.synchronizedList(new ArrayList<>());
    final List<StepMode> modes = Collections.synchronizedList(new ArrayList<>());
    final List<Double> timesteps = Collections.synchronizedList(new ArrayList<>());
    final List<long[]> sampleShapes = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger closed = new AtomicInteger();
    final AtomicInteger aborted = new AtomicInteger();
    final AtomicInteger decodeCalls = new AtomicInteger();
    /** Counted down by every step; a test can wait on it. */
    volatile CountDownLatch stepsSeen = new CountDownLatch(Integer.MAX_VALUE);
    long[] embeddingShape;

    StageClients clients() {
        return new StageClients(this::encode, this::open, new VaeClient() {
            @Override
            public List<Png.Rgb> decode(String model, FloatTensor latents) {
                decodeCalls.incrementAndGet();
                List<Png.Rgb> out = new ArrayList<>();
                int h = (int) latents.dim(2) * 8;
                int w = (int) latents.dim(3) * 8;
                for (int i = 0; i < latents.dim(0); i++) out.add(new Png.Rgb(w, h, new byte[w * h * 3]));
                return out;
            }

            @Override
            public FloatTensor encode(String model, InitImage image) {
                return FloatTensor.zeros(1, 4, 32, 32);
            }
        });
    }

    private TextEmbeddings encode(String model, List<String> p, List<String> p2) {
        prompts.addAll(p);
        return TextEmbeddings.of(FloatTensor.zeros(p.size(), 77, 32));
    }

    private DenoiserSession open(String model, UnetConditioning conditioning, int branch) {
        embeddingShape = conditioning.encoderHiddenStates().shape();
        return new DenoiserSession() {
            @Override
            public StepResult step(FloatTensor sample, double t, StepMode mode) {
                modes.add(mode);
                timesteps.add(t);
                sampleShapes.add(sample.shape());
                stepsSeen.countDown();
                return new StepResult(FloatTensor.zeros(sample.shape()), mode, mode == StepMode.SHALLOW, 1, 1);
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }

            @Override
            public void abort() {
                aborted.incrementAndGet();
            }
        };
    }
}
