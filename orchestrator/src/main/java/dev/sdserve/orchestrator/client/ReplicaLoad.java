package dev.sdserve.orchestrator.client;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One replica of a stage as this orchestrator sees it: its address and how many of this orchestrator's streams
 * (UNet sessions) and calls are open on it. {@link #choose} is the balancing rule, plain Java so it is tested
 * without a server.
 */
public final class ReplicaLoad {
    private final String stage;
    private final String address;
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();

    public ReplicaLoad(String stage, String address) {
        this.stage = stage;
        this.address = address;
    }

    public String stage() {
        return stage;
    }

    public String address() {
        return address;
    }

    /** Open streaming calls (Denoise: one per UNet session). */
    public int sessions() {
        return sessions.get();
    }

    /** All open calls, streams included. */
    public int calls() {
        return calls.get();
    }

    /** Counts a call that starts; the returned action ends it (call it once). */
    public Runnable begin(boolean streaming) {
        calls.incrementAndGet();
        if (streaming) sessions.incrementAndGet();
        AtomicInteger once = new AtomicInteger();
        return () -> {
            if (once.getAndIncrement() != 0) return;
            calls.decrementAndGet();
            if (streaming) sessions.decrementAndGet();
        };
    }

    /**
     * The serving replica a new call goes to: for a stream (a UNet session) the one with the fewest open
     * sessions, for a unary call the one with the fewest open calls; the other count, then the position after
     * {@code rotation} break ties, so equal replicas take turns. Replicas in {@code avoid} are used only when no
     * other serves. Empty when {@code serving} is empty.
     */
    public static Optional<ReplicaLoad> choose(List<ReplicaLoad> serving, Set<String> avoid, boolean streaming,
                                               int rotation) {
        List<ReplicaLoad> fresh = serving.stream().filter(r -> !avoid.contains(r.address)).toList();
        List<ReplicaLoad> from = fresh.isEmpty() ? serving : fresh;
        if (from.isEmpty()) return Optional.empty();
        int n = from.size();
        int start = Math.floorMod(rotation, n);
        Comparator<ReplicaLoad> byLoad = streaming
                ? Comparator.comparingInt(ReplicaLoad::sessions).thenComparingInt(ReplicaLoad::calls)
                : Comparator.comparingInt(ReplicaLoad::calls).thenComparingInt(ReplicaLoad::sessions);
        ReplicaLoad best = null;
        for (int i = 0; i < n; i++) {
            ReplicaLoad r = from.get((start + i) % n);
            if (best == null || byLoad.compare(r, best) < 0) best = r;
        }
        return Optional.of(best);
    }

    @Override
    public String toString() {
        return address + " (" + sessions() + " sessions, " + calls() + " calls)";
    }
}
