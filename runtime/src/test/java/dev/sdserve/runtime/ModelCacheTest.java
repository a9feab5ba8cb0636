package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Loading outside the lock, once per model; Describe-style acquires never unload models in use. */
class ModelCacheTest {
    static final class Model implements AutoCloseable {
        final String key;
        volatile boolean closed;

        Model(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final ConcurrentHashMap<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final CountDownLatch releaseSlow = new CountDownLatch(1);

    private Model load(String key) {
        loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (key.startsWith("slow")) {
            slowStarted.countDown();
            try {
                releaseSlow.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (key.startsWith("broken")) throw SdException.internal("cannot load " + key, null);
        return new Model(key);
    }

    @Test
    void aLoadingModelBlocksNeitherOtherModelsNorTheListing() throws Exception {
        ModelCache<Model> cache = new ModelCache<>(3, this::load);
        cache.acquire("fast").close();
        CompletableFuture<ModelCache<Model>.Lease> slow = CompletableFuture.supplyAsync(() -> cache.acquire("slow"));
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
        // while "slow" loads: other acquires and the listing answer at once
        try (ModelCache<Model>.Lease fast = CompletableFuture.supplyAsync(() -> cache.acquire("fast")).get(5, TimeUnit.SECONDS)) {
            assertEquals("fast", fast.get().key);
        }
        assertEquals(List.of("fast"), CompletableFuture.supplyAsync(cache::loaded).get(5, TimeUnit.SECONDS),
                "a model still loading is not listed");
        releaseSlow.countDown();
        slow.get(10, TimeUnit.SECONDS).close();
        assertEquals(java.util.Set.of("fast", "slow"), java.util.Set.copyOf(cache.loaded()));
    }

    @Test
    void concurrentAcquiresOfOneModelShareOneLoad() throws Exception {
        ModelCache<Model> cache = new ModelCache<>(2, this::load);
        CompletableFuture<ModelCache<Model>.Lease> a = CompletableFuture.supplyAsync(() -> cache.acquire("slow"));
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
        CompletableFuture<ModelCache<Model>.Lease> b = CompletableFuture.supplyAsync(() -> cache.acquire("slow"));
        Thread.sleep(200); // b waits for a's load
        releaseSlow.countDown();
        try (ModelCache<Model>.Lease la = a.get(10, TimeUnit.SECONDS); ModelCache<Model>.Lease lb = b.get(10, TimeUnit.SECONDS)) {
            assertSame(la.get(), lb.get());
        }
        assertEquals(1, loads.get("slow").get());
    }

    @Test
    void aFailedLoadReachesEveryWaiterAndIsRetried() {
        ModelCache<Model> cache = new ModelCache<>(2, this::load);
        assertThrows(SdException.class, () -> cache.acquire("broken"));
        assertThrows(SdException.class, () -> cache.acquire("broken"));
        assertEquals(2, loads.get("broken").get(), "not cached as a failure");
        assertEquals(List.of(), cache.loaded());
    }

    @Test
    void describeStyleAcquireDoesNotUnloadAModelInUse() {
        ModelCache<Model> cache = new ModelCache<>(1, this::load);
        ModelCache<Model>.Lease inUse = cache.acquire("a");
        assertTrue(cache.acquireWithoutEvictingLeased("b").isEmpty(), "b would unload a, which is in use");
        assertEquals(List.of("a"), cache.loaded());
        assertTrue(!inUse.get().closed);
        try (ModelCache<Model>.Lease again = cache.acquireWithoutEvictingLeased("a").orElseThrow()) {
            assertSame(inUse.get(), again.get(), "a loaded model is always described");
        }
        inUse.close();
        try (ModelCache<Model>.Lease b = cache.acquireWithoutEvictingLeased("b").orElseThrow()) {
            assertEquals("b", b.get().key);
        }
        assertTrue(inUse.get().closed, "idle a made room for b");
    }

    @Test
    void idleModelsAreUnloadedBeforeModelsInUse() {
        ModelCache<Model> cache = new ModelCache<>(2, this::load);
        ModelCache<Model>.Lease a = cache.acquire("a"); // least recently used, but in use
        cache.acquire("b").close();
        cache.acquire("c").close();
        assertEquals(List.of("a", "c"), cache.loaded());
        assertTrue(!a.get().closed);
        a.close();
    }
}
