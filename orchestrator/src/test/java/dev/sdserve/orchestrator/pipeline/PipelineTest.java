package dev.sdserve.orchestrator.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pipeline's control flow with computing-nothing stages: batches, seeds, chunks, events, cancel. */
class PipelineTest {
    private ModelFolder model;
    private RecordingStages stages;

    @BeforeEach
    void setUp() {
        SharedFixtures.assume();
        model = ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel());
        stages = new RecordingStages();
    }

    private GenerationRequest request(int n, double guidance, int decodeBatch, int preview, CacheParams cache) {
        return new GenerationRequest(model, "a prompt", "a negative", n, 20, guidance, 7, 256, 256, "", decodeBatch,
                cache, preview, Optional.empty(), Optional.empty(), true);
    }

    @Test
    void cfgBatchIsNegativesThenPrompts() {
        new Pipeline(stages.clients()).generate(request(3, 7.5, 1, 0, CacheParams.NONE), GenerationListener.NONE,
                new Cancellation());
        assertEquals(List.of("a negative", "a prompt"), stages.prompts);
        assertArrayEquals(new long[] {6, 77, 32}, stages.embeddingShape);
        assertArrayEquals(new long[] {6, 4, 32, 32}, stages.sampleShapes.get(0));
        assertEquals(21, stages.modes.size(), "PNDM: 20 steps make 21 calls");
    }

    @Test
    void guidanceOfOneOrLessSendsNoUnconditionalBatch() {
        new Pipeline(stages.clients()).generate(request(2, 1.0, 1, 0, CacheParams.NONE), GenerationListener.NONE,
                new Cancellation());
        assertEquals(List.of("a prompt"), stages.prompts);
        assertArrayEquals(new long[] {2, 77, 32}, stages.embeddingShape);
        assertArrayEquals(new long[] {2, 4, 32, 32}, stages.sampleShapes.get(0));
    }

    @Test
    void imagesCarrySeedPlusIndexAndDecodeInChunks() {
        GenerationResult r = new Pipeline(stages.clients()).generate(request(3, 7.5, 2, 0, CacheParams.NONE),
                GenerationListener.NONE, new Cancellation());
        assertEquals(2, stages.decodeCalls.get(), "3 images in chunks of 2");
        assertEquals(List.of(7L, 8L, 9L), r.images().stream().map(GenerationResult.Image::seed).toList());
        Map<String, String> text = Png.readText(r.images().get(1).png());
        assertTrue(text.get("parameters").contains("Seed: 8"), text.toString());
        assertTrue(text.get("parameters").startsWith("a prompt\nNegative prompt: a negative\nSteps: 20"), text.toString());
        assertArrayEquals(new long[] {1, 4, 32, 32}, r.images().get(2).latents().orElseThrow().shape());
    }

    @Test
    void eachImageIsReproducibleFromItsOwnSeed() {
        FloatTensor batch = InitialNoise.draw(41, new long[] {2, 4, 32, 32});
        FloatTensor alone = InitialNoise.draw(42, new long[] {1, 4, 32, 32});
        assertEquals(0f, batch.slice0(1, 2).maxAbsDiff(alone));
        // the documented generator is torch's: seed 42 gives the fixtures' torch.randn draw
        FloatTensor torch = SharedFixtures.tensor(SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1/latents_init.f32"),
                1, 4, 32, 32);
        assertTrue(alone.maxAbsDiff(torch) < 1e-5f, "diff " + alone.maxAbsDiff(torch));
    }

    /**
     * Image i of a batch equals the single run with seed + i, bit for bit, for every scheduler (Euler a draws its
     * step noise from image i's own generator). The UNet is element-wise (batch-independent), so any difference
     * comes from the loop or the scheduler.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pndm", "ddim", "euler", "euler_a", "dpmpp_2m", "lms"})
    void imageOfABatchEqualsItsSingleRun(String scheduler) {
        DenoiserClient elementwise = (m, emb, b) -> new DenoiserSession() {
            @Override
            public StepResult step(FloatTensor sample, double t, StepMode mode) {
                float[] x = sample.toArray();
                float[] eps = new float[x.length];
                int perImage = x.length / (int) sample.dim(0); // element-wise within an image: batch-independent
                for (int i = 0; i < x.length; i++) eps[i] = (float) (0.3 * x[i] + 0.1 * Math.sin(0.01 * t + i % perImage % 7));
                return new StepResult(FloatTensor.of(sample.shape(), eps), mode, false, 1, 1);
            }

            @Override
            public void close() {
            }

            @Override
            public void abort() {
            }
        };
        StageClients clients = new StageClients(stages.clients().textEncoder(), elementwise, stages.clients().vae());
        long seed = 100;
        GenerationResult batch = new Pipeline(clients).generate(request(3, seed, scheduler), GenerationListener.NONE,
                new Cancellation());
        for (int i = 0; i < 3; i++) {
            GenerationResult alone = new Pipeline(clients).generate(request(1, seed + i, scheduler),
                    GenerationListener.NONE, new Cancellation());
            FloatTensor a = alone.images().get(0).latents().orElseThrow();
            FloatTensor b = batch.images().get(i).latents().orElseThrow();
            assertArrayEquals(a.toArray(), b.toArray(), scheduler + ": image " + i + " of the batch vs seed " + (seed + i));
        }
    }

    private GenerationRequest request(int n, long seed, String scheduler) {
        return new GenerationRequest(model, "a prompt", "a negative", n, 10, 7.5, seed, 128, 128, scheduler, 1,
                CacheParams.NONE, 0, Optional.empty(), Optional.empty(), true);
    }

    @Test
    void progressPreviewsAndTimings() {
        List<StepEvent> progress = new ArrayList<>();
        List<Integer> previews = new ArrayList<>();
        GenerationListener l = new GenerationListener() {
            @Override
            public void progress(StepEvent e) {
                progress.add(e);
            }

            @Override
            public void preview(int index, byte[] png) {
                previews.add(index);
                Png.Rgb img = Png.decode(png, "preview", 1 << 20);
                assertEquals(32, img.width());
                assertEquals(64, img.height(), "two images stacked");
            }
        };
        GenerationResult r = new Pipeline(stages.clients()).generate(request(2, 7.5, 1, 5, CacheParams.uniform(3, 0)),
                l, new Cancellation());
        assertEquals(21, progress.size());
        assertEquals(List.of(4, 9, 14, 19), previews);
        assertEquals(StepMode.FULL, progress.get(0).mode());
        assertEquals(StepMode.SHALLOW, progress.get(1).mode());
        progress.forEach(e -> assertEquals(21, e.total()));
        Map<String, Integer> counts = new java.util.HashMap<>();
        r.timings().forEach(t -> counts.put(t.stage(), t.count()));
        assertEquals(Map.of("text_encode", 1, "unet_full", 7, "unet_shallow", 14, "scheduler", 21, "vae", 1,
                "grpc_overhead", 21, "total", 1), counts);
    }

    @Test
    void cancelBetweenStepsStopsTheLoopAndAbortsTheSession() {
        Cancellation cancel = new Cancellation();
        GenerationListener l = new GenerationListener() {
            @Override
            public void progress(StepEvent e) {
                if (e.index() == 3) cancel.cancel("cancelled by the test");
            }
        };
        SdException e = assertThrows(SdException.class, () -> new Pipeline(stages.clients())
                .generate(request(1, 7.5, 1, 0, CacheParams.NONE), l, cancel));
        assertEquals(SdException.Kind.CANCELLED, e.kind());
        assertEquals(4, stages.modes.size(), "no step after the cancel");
        assertEquals(1, stages.aborted.get());
        assertEquals(0, stages.decodeCalls.get());
    }

    @Test
    void cancelWhileAStepIsInFlightAbortsAtOnce() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        DenoiserClient blocking = (m, emb, b) -> new DenoiserSession() {
            @Override
            public StepResult step(FloatTensor sample, double t, StepMode mode) {
                inStep.countDown();
                try {
                    released.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                throw new SdException(SdException.Kind.CANCELLED, "aborted");
            }

            @Override
            public void close() {
            }

            @Override
            public void abort() {
                released.countDown();
            }
        };
        StageClients clients = new StageClients(stages.clients().textEncoder(), blocking, stages.clients().vae());
        Cancellation cancel = new Cancellation();
        Thread canceller = new Thread(() -> {
            try {
                inStep.await(30, TimeUnit.SECONDS);
                cancel.cancel("cancelled by the test");
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        canceller.start();
        long start = System.nanoTime();
        assertThrows(SdException.class, () -> new Pipeline(clients).generate(request(1, 7.5, 1, 0, CacheParams.NONE),
                GenerationListener.NONE, cancel));
        canceller.join();
        assertEquals(0, released.getCount(), "abort released the step");
        assertTrue((System.nanoTime() - start) / 1e9 < 10, "did not wait for the step deadline");
    }
}
