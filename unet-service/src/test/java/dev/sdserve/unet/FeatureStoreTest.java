package dev.sdserve.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.SdException;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FeatureStoreTest {
    final AtomicLong now = new AtomicLong();
    final AtomicInteger freed = new AtomicInteger();

    FeatureStore store(long maxBytes, int maxSessions) {
        return new FeatureStore(new FeatureStore.Limits(maxBytes, Duration.ofSeconds(60), maxSessions), now::get);
    }

    /** A feature of {@code bytes} bytes whose release is counted. */
    Feature feature(long bytes) throws OrtException {
        OnnxTensor t = OnnxTensor.createTensor(OrtSessions.env(), FloatBuffer.allocate(1), new long[] {1});
        return new Feature(t, () -> {
            t.close();
            freed.incrementAndGet();
        }, new long[] {1, 4, 8, 8}, bytes);
    }

    @Test
    void idsAreUnguessableAndUnique() {
        FeatureStore s = store(100, 1000);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            String id = s.open(() -> { });
            assertEquals(22, id.length(), id); // 128 bits, base64url without padding
            assertTrue(id.matches("[A-Za-z0-9_-]+"), id);
            assertTrue(ids.add(id));
        }
    }

    @Test
    void evictsLeastRecentlyUsedByBytesAndCountsHitsAndMisses() throws Exception {
        FeatureStore s = store(100, 16);
        String a = s.open(() -> { });
        String b = s.open(() -> { });
        String c = s.open(() -> { });
        s.put(a, feature(40));
        s.put(b, feature(40));
        s.acquire(a).orElseThrow().close(); // a is now more recent than b
        s.put(c, feature(40));              // 120 > 100: evicts b, the least recently used
        assertEquals(1, freed.get());
        assertTrue(s.acquire(b).isEmpty());
        s.acquire(a).orElseThrow().close();
        s.acquire(c).orElseThrow().close();
        assertEquals(new FeatureStore.Stats(3, 2, 80, 3, 1, 1, 0), s.stats());
        s.put(a, feature(50)); // replacing a's feature frees the old one and needs no eviction (50 + 40)
        assertEquals(2, freed.get());
        assertEquals(90, s.stats().bytes());
    }

    @Test
    void closeFreesAtOnceAndAPinnedFeatureWhenItsStepEnds() throws Exception {
        FeatureStore s = store(100, 16);
        String a = s.open(() -> { });
        s.put(a, feature(10));
        assertTrue(s.close(a));
        assertEquals(1, freed.get());
        assertEquals(0, s.stats().bytes());
        assertFalse(s.close(a));
        String b = s.open(() -> { });
        s.put(b, feature(10));
        FeatureStore.Pin pin = s.acquire(b).orElseThrow();
        s.close(b); // cancelled while a step uses the feature
        assertEquals(1, freed.get());
        pin.close();
        assertEquals(2, freed.get());
        assertEquals(SdException.Kind.NOT_FOUND, assertThrows(SdException.class, () -> s.acquire(b)).kind());
    }

    @Test
    void idleSessionsExpireAfterTheTtl() throws Exception {
        FeatureStore s = store(100, 16);
        AtomicInteger expired = new AtomicInteger();
        String a = s.open(expired::incrementAndGet);
        String b = s.open(expired::incrementAndGet);
        s.put(a, feature(10));
        now.addAndGet(Duration.ofSeconds(40).toNanos());
        s.touch(b);
        now.addAndGet(Duration.ofSeconds(30).toNanos()); // a idle 70 s, b idle 30 s
        s.sweep();
        assertEquals(1, expired.get());
        assertEquals(1, freed.get());
        assertFalse(s.isOpen(a));
        assertTrue(s.isOpen(b));
        assertEquals(1, s.stats().expired());
    }

    @Test
    void tooManySessionsAreResourceExhaustedAndAFullStoreOnlySkipsCaching() throws Exception {
        FeatureStore s = store(100, 2);
        String a = s.open(() -> { });
        String b = s.open(() -> { });
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED, assertThrows(SdException.class, () -> s.open(() -> { })).kind());
        assertTrue(s.put(a, feature(80)));
        FeatureStore.Pin pinned = s.acquire(a).orElseThrow(); // a step is using it: not evictable
        assertFalse(s.put(b, feature(40)), "no room: not cached, and no error for the FULL step");
        assertEquals(1, freed.get()); // the rejected feature was freed
        assertTrue(s.acquire(b).isEmpty(), "b's next SHALLOW step is a miss (runs FULL)");
        pinned.close();
        assertTrue(s.put(b, feature(40))); // now a's feature is evictable
        assertFalse(s.put(b, feature(101)), "larger than the whole budget: never cached");
        assertEquals(0, s.stats().entries(), "a evicted for b's 40, then b's 101 not cached");
    }

    @Test
    void aFailingExpiryCallbackStopsNeitherTheOthersNorLaterSweeps() throws Exception {
        FeatureStore s = store(100, 16);
        AtomicInteger expired = new AtomicInteger();
        s.open(() -> {
            throw new IllegalStateException("callback bug");
        });
        s.open(expired::incrementAndGet);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        s.sweepSafely();
        assertEquals(1, expired.get(), "the second session still expired");
        String later = s.open(expired::incrementAndGet);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        s.sweepSafely();
        assertEquals(2, expired.get(), "the next sweep ran");
        assertFalse(s.isOpen(later));
        assertEquals(3, s.stats().expired());
    }

    @Test
    void aScheduledSweepSurvivesAFailingCallback() throws Exception {
        FeatureStore s = store(100, 16);
        AtomicInteger expired = new AtomicInteger();
        var exec = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            s.open(() -> {
                throw new IllegalStateException("callback bug");
            });
            now.addAndGet(Duration.ofSeconds(61).toNanos());
            var task = exec.scheduleAtFixedRate(s::sweepSafely, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
            Thread.sleep(200);
            s.open(expired::incrementAndGet);
            now.addAndGet(Duration.ofSeconds(61).toNanos());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (expired.get() == 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(1, expired.get(), "sessions still expire after a callback threw");
            assertFalse(task.isDone());
        } finally {
            exec.shutdownNow();
        }
    }

    @Test
    void unarySessionsHaveTheirOwnLimitAndAShorterTtl() throws Exception {
        FeatureStore s = new FeatureStore(new FeatureStore.Limits(100, Duration.ofMinutes(10), 3, 2,
                Duration.ofSeconds(30)), now::get);
        String u1 = s.openUnary(() -> { });
        s.openUnary(() -> { });
        SdException e = assertThrows(SdException.class, () -> s.openUnary(() -> { }));
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(e.getMessage().contains("sd.unet.max-unary-sessions=2"), e.getMessage());
        String streamed = s.open(() -> { }); // unary sessions do not use up the streamed generations' budget
        s.open(() -> { });
        s.open(() -> { });
        assertEquals(5, s.stats().sessions());
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        s.sweep();
        assertFalse(s.isOpen(u1), "unary sessions expire after 30 s idle");
        assertTrue(s.isOpen(streamed), "streamed ones keep their 10 min");
        assertEquals(3, s.stats().sessions());
        s.openUnary(() -> { });
    }

    @Test
    void defaultUnaryLimitsAreSmaller() {
        FeatureStore.Limits l = new FeatureStore.Limits(100, Duration.ofMinutes(10), 16);
        assertEquals(4, l.maxUnarySessions());
        assertEquals(Duration.ofMinutes(1), l.unaryIdleTtl());
    }
}
