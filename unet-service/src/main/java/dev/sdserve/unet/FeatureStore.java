package dev.sdserve.unet;

import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The per-session store of cached DeepCache features, keyed by unguessable session ids (128 random bits,
 * URL-safe base64).
 *
 * <ul>
 *   <li>Bounded by total bytes: a new feature evicts the least recently used features of other sessions;
 *   their sessions stay open, and their next SHALLOW step runs FULL instead.</li>
 *   <li>A session idle for longer than the TTL expires: its feature is freed and its expiry callback runs.</li>
 *   <li>A feature in use by a running step is pinned and never freed under it; it is freed when the step ends.</li>
 *   <li>When the budget cannot be met without touching pinned features, the feature is not cached: the FULL
 *   step still returns its prediction and the session's next SHALLOW step runs FULL (and says so).</li>
 *   <li>Too many open sessions: RESOURCE_EXHAUSTED. Sessions opened by the unary {@code Open} (scripts) have
 *   their own, smaller limit and shorter idle TTL, so they cannot lock streamed generations out.</li>
 * </ul>
 */
public final class FeatureStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FeatureStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * The store's bounds.
     *
     * @param maxSessions      streamed (Denoise) sessions open at once
     * @param maxUnarySessions sessions opened by the unary Open, counted apart from streamed ones
     * @param unaryIdleTtl     idle TTL of unary sessions
     */
    public record Limits(long maxBytes, Duration idleTtl, int maxSessions, int maxUnarySessions, Duration unaryIdleTtl) {
        /** Unary sessions: at most 4, idle TTL at most 1 minute (bounded by the streamed ones'). */
        public Limits(long maxBytes, Duration idleTtl, int maxSessions) {
            this(maxBytes, idleTtl, maxSessions, Math.min(4, maxSessions),
                    idleTtl.compareTo(Duration.ofMinutes(1)) < 0 ? idleTtl : Duration.ofMinutes(1));
        }

        Duration ttl(boolean unary) {
            return unary ? unaryIdleTtl : idleTtl;
        }
    }

    /** Counters, for logs and tests. {@code bytes} counts features held, including pinned ones awaiting release. */
    public record Stats(int sessions, int entries, long bytes, long hits, long misses, long evictions, long expired) {
    }

    /** A feature borrowed for one shallow step; close it when the step is done. */
    public final class Pin implements AutoCloseable {
        private final Held held;
        private boolean released;

        private Pin(Held held) {
            this.held = held;
        }

        public Feature feature() {
            return held.feature;
        }

        @Override
        public void close() {
            synchronized (FeatureStore.this) {
                if (released) return;
                released = true;
                held.pins--;
                if (held.dropped && held.pins == 0) free(held);
            }
        }
    }

    private static final class Held {
        final Feature feature;
        int pins;
        boolean dropped;

        Held(Feature feature) {
            this.feature = feature;
        }
    }

    private static final class Slot {
        Held held;
        long lastUsed;
        final Runnable onExpire;
        final boolean unary;

        Slot(long now, Runnable onExpire, boolean unary) {
            this.lastUsed = now;
            this.onExpire = onExpire;
            this.unary = unary;
        }
    }

    private final Limits limits;
    private final LongSupplier nanoClock;
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;
    private long evictions;
    private long expired;

    public FeatureStore(Limits limits, LongSupplier nanoClock) {
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    public FeatureStore(Limits limits) {
        this(limits, System::nanoTime);
    }

    public Limits limits() {
        return limits;
    }

    /** Opens a streamed session's slot; {@code onExpire} runs (outside the store's lock) if the TTL expires it. */
    public String open(Runnable onExpire) {
        return open(onExpire, false);
    }

    /**
     * Opens a slot for a session of the unary Open: its own limit ({@code sd.unet.max-unary-sessions}) and idle TTL
     * ({@code sd.unet.unary-idle-ttl}).
     */
    public String openUnary(Runnable onExpire) {
        return open(onExpire, true);
    }

    private String open(Runnable onExpire, boolean unary) {
        sweep();
        synchronized (this) {
            int count = 0;
            for (Slot s : slots.values()) if (s.unary == unary) count++;
            int max = unary ? limits.maxUnarySessions() : limits.maxSessions();
            if (count >= max) {
                throw SdException.exhausted("too many open " + (unary ? "unary (Open) " : "") + "UNet sessions ("
                        + count + ", " + (unary ? "sd.unet.max-unary-sessions=" : "sd.unet.max-sessions=") + max
                        + "); close finished sessions");
            }
            byte[] raw = new byte[16];
            RANDOM.nextBytes(raw);
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            slots.put(id, new Slot(nanoClock.getAsLong(), onExpire, unary));
            return id;
        }
    }


    /** Closes a session and frees its feature at once (or when the step using it ends). */
    public synchronized boolean close(String id) {
        Slot s = slots.remove(id);
        if (s == null) return false;
        drop(s);
        return true;
    }

    /**
     * Stores the session's feature, replacing its previous one and evicting others' features as needed. Returns
     * false, freeing the feature, when it cannot be cached (larger than the budget, or the budget is held by
     * features in use): the step's prediction stands, and the session's next SHALLOW step runs FULL.
     */
    public synchronized boolean put(String id, Feature feature) {
        Slot s = slots.get(id);
        if (s == null) {
            feature.close();
            throw SdException.notFound("unknown or closed UNet session '" + id + "'");
        }
        drop(s);
        s.lastUsed = nanoClock.getAsLong();
        if (feature.bytes() > limits.maxBytes()) {
            LOG.debugf("feature store: a feature of %d bytes exceeds max-bytes %d; not cached", feature.bytes(),
                    limits.maxBytes());
            feature.close();
            return false;
        }
        for (Iterator<Map.Entry<String, Slot>> it = slots.entrySet().iterator();
             bytes + feature.bytes() > limits.maxBytes() && it.hasNext(); ) {
            Map.Entry<String, Slot> e = it.next();
            Slot other = e.getValue();
            if (other == s || other.held == null || other.held.pins > 0) continue;
            LOG.debugf("feature store: evicting the feature of session %s (LRU)", e.getKey());
            // an event on the step that caused it (no session id: ids are capabilities, traces are not secret)
            Span.current().addEvent(Tracing.FEATURE_EVICT, Attributes.of(Tracing.BYTES, other.held.feature.bytes()));
            drop(other);
            evictions++;
        }
        if (bytes + feature.bytes() > limits.maxBytes()) {
            LOG.debugf("feature store full: %d of %d bytes held by features in use; this feature is not cached",
                    bytes, limits.maxBytes());
            feature.close();
            return false;
        }
        s.held = new Held(feature);
        bytes += feature.bytes();
        return true;
    }

    /** Pins the session's feature for a shallow step (a hit), or empty when it was evicted (a miss). */
    public synchronized Optional<Pin> acquire(String id) {
        Slot s = slot(id);
        s.lastUsed = nanoClock.getAsLong();
        if (s.held == null) {
            misses++;
            Span.current().addEvent(Tracing.FEATURE_MISS);
            return Optional.empty();
        }
        hits++;
        s.held.pins++;
        return Optional.of(new Pin(s.held));
    }

    /** Marks the session as active (a step that touches no feature still keeps it alive). */
    public synchronized void touch(String id) {
        slot(id).lastUsed = nanoClock.getAsLong();
    }

    public synchronized boolean isOpen(String id) {
        return slots.containsKey(id);
    }

    /** Expires sessions idle for longer than the TTL; their callbacks run after the lock is released. */
    public void sweep() {
        List<Runnable> callbacks = new ArrayList<>();
        synchronized (this) {
            long now = nanoClock.getAsLong();
            for (Iterator<Map.Entry<String, Slot>> it = slots.entrySet().iterator(); it.hasNext(); ) {
                Slot s = it.next().getValue();
                if (now - s.lastUsed <= limits.ttl(s.unary).toNanos() || s.held != null && s.held.pins > 0) continue;
                it.remove();
                if (s.held != null) evictions++;
                drop(s);
                expired++;
                callbacks.add(s.onExpire);
            }
        }
        for (Runnable callback : callbacks) {
            try {
                callback.run();
            } catch (RuntimeException | Error e) { // one failing callback must not stop the others or the sweeper
                LOG.error("feature store: an expiry callback failed; the sweeper goes on", e);
            }
        }
        if (!callbacks.isEmpty()) LOG.infof("feature store: %d idle session(s) expired; %s", callbacks.size(), stats());
    }

    /**
     * {@link #sweep} for a scheduled executor: never throws, since an exception would cancel every later run
     * (and no session would ever expire again).
     */
    public void sweepSafely() {
        try {
            sweep();
        } catch (RuntimeException | Error e) {
            LOG.error("feature store: sweep failed; the next one runs as scheduled", e);
        }
    }

    public synchronized Stats stats() {
        int entries = 0;
        for (Slot s : slots.values()) if (s.held != null) entries++;
        return new Stats(slots.size(), entries, bytes, hits, misses, evictions, expired);
    }

    @Override
    public synchronized void close() {
        slots.values().forEach(this::drop);
        slots.clear();
    }

    private Slot slot(String id) {
        Slot s = slots.get(id);
        if (s == null) throw SdException.notFound("unknown or closed UNet session '" + id + "'");
        return s;
    }

    /** Removes the slot's feature: freed now, or when its last pin is released. */
    private void drop(Slot s) {
        Held h = s.held;
        if (h == null) return;
        s.held = null;
        h.dropped = true;
        if (h.pins == 0) free(h);
    }

    private void free(Held h) {
        bytes -= h.feature.bytes();
        h.feature.close();
    }
}
