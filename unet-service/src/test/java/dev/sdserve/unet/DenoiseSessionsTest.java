package dev.sdserve.unet;

import static dev.sdserve.runtime.SharedFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions over tiny-sd15 with a store that holds one batch-2 32x32 feature (256 KiB). */
class DenoiseSessionsTest {
    static DenoiseSessions sessions;
    static final Path CASE = TinyUnet.unetCase("unet_0");

    @BeforeAll
    static void start() {
        ModelRoots roots = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15");
        sessions = new DenoiseSessions(roots, RuntimeOptions.defaults(),
                TinyUnet.settings(TinyUnet.GRAPHS, 300_000, Duration.ofMinutes(10), 3), 1);
    }

    @AfterAll
    static void stop() {
        if (sessions != null) sessions.close();
    }

    static DenoiseSession open() {
        return sessions.open("", tensor(CASE.resolve("encoder_hidden_states.f32")), 0);
    }

    @Test
    void branchesShareOneFullGraphSessionAndEachCachesItsOwnCut() {
        ModelRoots roots = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15");
        FloatTensor sample = tensor(CASE.resolve("sample.f32"));
        FloatTensor ehs = tensor(CASE.resolve("encoder_hidden_states.f32"));
        FloatTensor expected = tensor(CASE.resolve("out_sample.f32"));
        try (DenoiseSessions two = new DenoiseSessions(roots, RuntimeOptions.defaults(),
                TinyUnet.settings(TinyUnet.GRAPHS, 1L << 30, Duration.ofMinutes(10), 8), 3)) {
            java.util.Set<String> cuts = new java.util.HashSet<>();
            for (int branch : new int[] {0, 1, 3}) {
                try (DenoiseSession s = two.open("", ehs, branch)) {
                    assertTrue(s.step(sample, 981, DenoiseSession.Mode.FULL).noisePred().maxAbsDiff(expected) < 2e-5);
                    DenoiseSession.StepResult shallow = s.step(sample, 981, DenoiseSession.Mode.SHALLOW);
                    assertTrue(shallow.cacheHit(), "branch " + branch);
                    // same inputs: the shallow graph on this branch's cached feature reproduces the full output
                    assertTrue(shallow.noisePred().maxAbsDiff(expected) < 2e-5, "branch " + branch);
                    cuts.add(s.description().cacheTensor());
                }
            }
            assertEquals(3, cuts.size(), "each branch caches its own tensor: " + cuts);
            assertTrue(cuts.contains("/up_blocks.3/attentions.1/Add_output_0"), cuts.toString());
            assertEquals(3, two.loaded().size(), "three branches held: " + two.loaded());
            assertEquals(1, two.fullGraphsLoaded(), "one full-graph session serves them all");
        }
    }

    @Test
    void fullThenShallowThenFallbackAfterEviction() {
        FloatTensor sample = tensor(CASE.resolve("sample.f32"));
        FloatTensor expected = tensor(CASE.resolve("out_sample.f32"));
        try (DenoiseSession a = open(); DenoiseSession b = open()) {
            DenoiseSession.StepResult shallowFirst = a.step(sample, 981, DenoiseSession.Mode.SHALLOW);
            assertEquals(DenoiseSession.Mode.FULL, shallowFirst.modeRun()); // nothing cached yet
            assertFalse(shallowFirst.cacheHit());
            assertTrue(shallowFirst.noisePred().maxAbsDiff(expected) < 2e-5);
            DenoiseSession.StepResult hit = a.step(sample, 981, DenoiseSession.Mode.SHALLOW);
            assertEquals(DenoiseSession.Mode.SHALLOW, hit.modeRun());
            assertTrue(hit.cacheHit());
            assertTrue(hit.noisePred().maxAbsDiff(expected) < 2e-5);
            assertTrue(hit.runMs() > 0 && hit.serverMs() >= hit.runMs());
            b.step(sample, 981, DenoiseSession.Mode.FULL); // the store holds one feature: a's is evicted
            DenoiseSession.StepResult miss = a.step(sample, 981, DenoiseSession.Mode.SHALLOW);
            assertEquals(DenoiseSession.Mode.FULL, miss.modeRun());
            assertFalse(miss.cacheHit());
            assertTrue(miss.noisePred().maxAbsDiff(expected) < 2e-5);
            assertTrue(sessions.store().stats().evictions() >= 2);
            assertEquals(1, sessions.store().stats().entries());
        }
        assertEquals(0, sessions.store().stats().bytes()); // closing freed everything
        assertEquals(0, sessions.store().stats().sessions());
    }

    /** A FULL step still returns its prediction when its feature cannot be cached; the next SHALLOW runs FULL. */
    @Test
    void aFullStepWithAFullStoreReturnsItsPrediction() {
        FloatTensor sample = tensor(CASE.resolve("sample.f32"));
        FloatTensor expected = tensor(CASE.resolve("out_sample.f32"));
        try (DenoiseSession a = open(); DenoiseSession b = open()) {
            a.step(sample, 981, DenoiseSession.Mode.FULL);
            try (FeatureStore.Pin inUse = sessions.store().acquire(a.id()).orElseThrow()) { // a's step is running
                DenoiseSession.StepResult full = b.step(sample, 981, DenoiseSession.Mode.FULL);
                assertEquals(DenoiseSession.Mode.FULL, full.modeRun());
                assertTrue(full.noisePred().maxAbsDiff(expected) < 2e-5);
                DenoiseSession.StepResult next = b.step(sample, 981, DenoiseSession.Mode.SHALLOW);
                assertEquals(DenoiseSession.Mode.FULL, next.modeRun(), "nothing was cached: runs FULL and says so");
                assertFalse(next.cacheHit());
                assertTrue(next.noisePred().maxAbsDiff(expected) < 2e-5);
            }
        }
    }

    @Test
    void unaryOpensHaveTheirOwnLimit() {
        FloatTensor ehs = tensor(CASE.resolve("encoder_hidden_states.f32"));
        try (DenoiseSession streamed = open()) {
            // the test store: 3 streamed sessions, min(4, 3) = 3 unary ones
            List<DenoiseSession> unary = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) unary.add(sessions.open("", ehs, 0, true));
                assertEquals(SdException.Kind.RESOURCE_EXHAUSTED,
                        assertThrows(SdException.class, () -> sessions.open("", ehs, 0, true)).kind());
                try (DenoiseSession s2 = open(); DenoiseSession s3 = open()) {
                    assertEquals(3 + 3, sessions.store().stats().sessions(), "scripts did not lock generations out");
                }
            } finally {
                unary.forEach(DenoiseSession::close);
            }
        }
    }

    @Test
    void closedAndUnknownSessionsAreNotFoundAndTheSessionCountIsBounded() {
        DenoiseSession a = open();
        String id = a.id();
        assertEquals(a, sessions.get(id));
        assertTrue(sessions.close(id));
        assertFalse(sessions.close(id));
        assertEquals(SdException.Kind.NOT_FOUND, assertThrows(SdException.class, () -> sessions.get(id)).kind());
        assertEquals(SdException.Kind.NOT_FOUND, assertThrows(SdException.class,
                () -> a.step(tensor(CASE.resolve("sample.f32")), 1, DenoiseSession.Mode.FULL)).kind());
        try (DenoiseSession x = open(); DenoiseSession y = open(); DenoiseSession z = open()) {
            assertEquals(SdException.Kind.RESOURCE_EXHAUSTED,
                    assertThrows(SdException.class, DenoiseSessionsTest::open).kind());
        }
        assertEquals(SdException.Kind.INVALID_ARGUMENT, assertThrows(SdException.class,
                () -> sessions.open("", tensor(CASE.resolve("encoder_hidden_states.f32")), 12)).kind());
        assertEquals(SdException.Kind.NOT_FOUND, assertThrows(SdException.class,
                () -> sessions.open("no-such-model", tensor(CASE.resolve("encoder_hidden_states.f32")), 0)).kind());
    }
}
