package dev.sdserve.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A small LRU of loaded models (ORT sessions are large). Callers hold a {@link Lease} while they use a
 * model; an evicted model is closed when its last lease is returned, never under a running call. Models are loaded
 * outside the cache's lock, once per key.
 */
public final class ModelCache<T extends AutoCloseable> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelCache.class);

    private final int maxLoaded;
    private final Function<String, T> loader;
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Entry<T> {
        /** Completed by the one caller that loads the model; others wait on it outside the cache lock. */
        final CompletableFuture<T> loading = new CompletableFuture<>();
        T value; // set under the lock once loaded
        int leases;
        boolean evicted;

        boolean loaded() {
            return value != null;
        }
    }

    /** A borrowed model; close it to return it. */
    public final class Lease implements AutoCloseable {
        private final String key;
        private final Entry<T> entry;
        private boolean returned;

        private Lease(String key, Entry<T> entry) {
            this.key = key;
            this.entry = entry;
        }

        public T get() {
            return entry.value;
        }

        public String key() {
            return key;
        }

        @Override
        public void close() {
            closeQuietly(key, release(entry, this));
        }
    }

    public ModelCache(int maxLoaded, Function<String, T> loader) {
        this.maxLoaded = Math.max(1, maxLoaded);
        this.loader = loader;
    }

    /**
     * Borrows the model for {@code key}, loading it on first use. Loading runs outside the cache lock (other
     * models' acquires, {@link #loaded()} and metrics never wait for it), once per model: concurrent callers for the
     * same key wait for the one load. When it fails, every waiter gets its exception and the next call retries.
     */
    public Lease acquire(String key) {
        return acquire(key, true).orElseThrow();
    }

    /**
     * Like {@link #acquire}, but empty instead of loading a model when that would unload one in use (every loaded
     * model leased): for calls such as Describe that must not disturb running work.
     */
    public Optional<Lease> acquireWithoutEvictingLeased(String key) {
        return acquire(key, false);
    }

    private Optional<Lease> acquire(String key, boolean mayEvictLeased) {
        Entry<T> e;
        boolean loadHere = false;
        List<Map.Entry<String, T>> toClose = new ArrayList<>();
        synchronized (this) {
            e = entries.get(key);
            if (e == null) {
                if (!mayEvictLeased && entries.size() >= maxLoaded && !hasIdle()) return Optional.empty();
                e = new Entry<>();
                entries.put(key, e);
                loadHere = true;
            }
            e.leases++;
            if (loadHere) evictOverflow(toClose);
        }
        toClose.forEach(c -> closeQuietly(c.getKey(), c.getValue()));
        Lease lease = new Lease(key, e);
        if (loadHere) {
            load(key, e);
        } else {
            try {
                e.loading.join();
            } catch (CompletionException | CancellationException ex) {
                release(e, lease);
                Throwable cause = ex.getCause() == null ? ex : ex.getCause();
                if (cause instanceof RuntimeException re) throw re;
                if (cause instanceof Error err) throw err;
                throw new IllegalStateException("loading " + key, cause);
            }
        }
        return Optional.of(lease);
    }

    private void load(String key, Entry<T> e) {
        T value;
        try {
            value = loader.apply(key);
        } catch (RuntimeException | Error ex) {
            synchronized (this) {
                entries.remove(key, e);
                e.leases--;
            }
            e.loading.completeExceptionally(ex);
            throw ex;
        }
        boolean closeNow;
        synchronized (this) {
            e.value = value;
            closeNow = e.evicted && e.leases == 0;
        }
        e.loading.complete(value);
        if (closeNow) closeQuietly(key, value);
    }

    /** Returns one lease; the value to close when it was the last lease of an evicted model. */
    private synchronized T release(Entry<T> e, Lease lease) {
        if (lease.returned) return null;
        lease.returned = true;
        e.leases--;
        return e.evicted && e.leases == 0 ? e.value : null;
    }

    public synchronized boolean isLoaded(String key) {
        Entry<T> e = entries.get(key);
        return e != null && e.loaded();
    }

    /** Keys of the models loaded now (least recently used first); models still loading are not listed. */
    public synchronized List<String> loaded() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry<T>> e : entries.entrySet()) if (e.getValue().loaded()) out.add(e.getKey());
        return out;
    }

    private boolean hasIdle() {
        for (Entry<T> e : entries.values()) if (e.leases == 0) return true;
        return false;
    }

    /** Over the bound: unloads idle models first (least recently used first), then models in use (closed later). */
    private void evictOverflow(List<Map.Entry<String, T>> toClose) {
        for (boolean idleOnly : new boolean[] {true, false}) {
            Iterator<Map.Entry<String, Entry<T>>> it = entries.entrySet().iterator();
            while (entries.size() > maxLoaded && it.hasNext()) {
                Map.Entry<String, Entry<T>> oldest = it.next();
                Entry<T> e = oldest.getValue();
                if (idleOnly && e.leases > 0) continue;
                if (!idleOnly && !e.loading.isDone()) continue; // never the model being loaded now
                it.remove();
                e.evicted = true;
                LOG.infof("model cache: unloading %s (max loaded %d)", oldest.getKey(), maxLoaded);
                if (e.leases == 0 && e.value != null) toClose.add(Map.entry(oldest.getKey(), e.value));
            }
        }
    }

    @Override
    public synchronized void close() {
        for (Map.Entry<String, Entry<T>> e : entries.entrySet()) closeQuietly(e.getKey(), e.getValue().value);
        entries.clear();
    }

    private static void closeQuietly(String key, AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ex) {
            LOG.warnf("closing model %s: %s", key, ex.getMessage());
        }
    }
}
