package dev.sdserve.orchestrator.auth;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** Running generations per API key ({@code sd.orchestrator.max-concurrent-per-key}; 0 = no per-key limit). */
public final class KeyLimits {
    private final int maxPerKey;
    private final Map<String, Integer> running = new HashMap<>(); // guarded by this

    public KeyLimits(int maxPerKey) {
        if (maxPerKey < 0) {
            throw new IllegalStateException("sd.orchestrator.max-concurrent-per-key must be >= 0, got " + maxPerKey);
        }
        this.maxPerKey = maxPerKey;
    }

    public int maxPerKey() {
        return maxPerKey;
    }

    /** A slot for key {@code id}, released (once) by running the returned action; empty when the key is at its limit. */
    public synchronized Optional<Runnable> tryAcquire(String id) {
        int n = running.getOrDefault(id, 0);
        if (maxPerKey > 0 && n >= maxPerKey) return Optional.empty();
        running.put(id, n + 1);
        AtomicBoolean released = new AtomicBoolean();
        return Optional.of(() -> {
            if (released.compareAndSet(false, true)) release(id);
        });
    }

    public synchronized int running(String id) {
        return running.getOrDefault(id, 0);
    }

    private synchronized void release(String id) {
        int n = running.getOrDefault(id, 0) - 1;
        if (n <= 0) running.remove(id);
        else running.put(id, n);
    }
}
