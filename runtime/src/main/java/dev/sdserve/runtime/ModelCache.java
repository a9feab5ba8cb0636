package dev.sdserve.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A small LRU of loaded models (ORT sessions are large). Callers hold a {@link Lease} while they use a
 * model; an evicted model is closed when its last lease is returned, never under a running call.
 */
public final class ModelCache<T extends AutoCloseable> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelCache.class);

    private final int maxLoaded;
    private final Function<String, T> loader;
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Entry<T> {
        final T value;
        int leases;
        boolean evicted;

        Entry(T value) {
            this.value = value;
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
            T toClose = null;
            synchronized (ModelCache.this) {
                if (returned) return;
                returned = true;
                entry.leases--;
                if (entry.evicted && entry.leases == 0) toClose = entry.value;
            }
            closeQuietly(key, toClose);
        }
    }

    public ModelCache(int maxLoaded, Function<String, T> loader) {
        this.maxLoaded = Math.max(1, maxLoaded);
        this.loader = loader;
    }

    /**
     * Borrows the model for {@code key}, loading it on first use. Loading happens under the cache lock, so two
     * callers never load the same model twice.
     */
    public synchronized Lease acquire(String key) {
        Entry<T> e = entries.get(key);
        if (e == null) {
            e = new Entry<>(loader.apply(key));
            entries.put(key, e);
            evictOverflow();
        }
        e.leases++;
        return new Lease(key, e);
    }

    public synchronized boolean isLoaded(String key) {
        return entries.containsKey(key);
    }

    public synchronized List<String> loaded() {
        return new ArrayList<>(entries.keySet());
    }

    private void evictOverflow() {
        Iterator<Map.Entry<String, Entry<T>>> it = entries.entrySet().iterator();
        while (entries.size() > maxLoaded && it.hasNext()) {
            Map.Entry<String, Entry<T>> oldest = it.next();
            it.remove();
            Entry<T> e = oldest.getValue();
            e.evicted = true;
            LOG.infof("model cache: unloading %s (max loaded %d)", oldest.getKey(), maxLoaded);
            if (e.leases == 0) closeQuietly(oldest.getKey(), e.value);
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
