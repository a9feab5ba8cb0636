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
    void fullStoreAndTooManySessionsAreResourceExhausted() throws Exception {
        FeatureStore s = store(100, 2);
        String a = s.open(() -> { });
        String b = s.open(() -> { });
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED, assertThrows(SdException.class, () -> s.open(() -> { })).kind());
        s.put(a, feature(80));
        FeatureStore.Pin pinned = s.acquire(a).orElseThrow(); // a step is using it: not evictable
        SdException full = assertThrows(SdException.class, () -> s.put(b, feature(40)));
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED, full.kind());
        assertEquals(1, freed.get()); // the rejected feature was freed
        pinned.close();
        s.put(b, feature(40)); // now a's feature is evictable
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED,
                assertThrows(SdException.class, () -> s.put(b, feature(101))).kind());
    }
}
