package dev.sdserve.orchestrator.client;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The replicas the load balancers know, for metrics and status: grpc-java creates load balancers itself (no CDI),
 * so they register their {@link ReplicaLoad}s here and the metrics binder subscribes.
 */
public final class ReplicaStats {
    private static final Set<ReplicaLoad> LOADS = ConcurrentHashMap.newKeySet();
    private static volatile Consumer<ReplicaLoad> onAdd = r -> { };

    private ReplicaStats() {
    }

    static void register(ReplicaLoad load) {
        LOADS.add(load);
        onAdd.accept(load);
    }

    static void unregister(ReplicaLoad load) {
        LOADS.remove(load);
    }

    /** The replicas known now. */
    public static List<ReplicaLoad> all() {
        return List.copyOf(LOADS);
    }

    /** Whether {@code load} is still a known replica. */
    public static boolean known(ReplicaLoad load) {
        return LOADS.contains(load);
    }

    /** Calls {@code listener} for every replica known now and every one added later. */
    public static synchronized void subscribe(Consumer<ReplicaLoad> listener) {
        Consumer<ReplicaLoad> before = onAdd;
        onAdd = r -> {
            before.accept(r);
            listener.accept(r);
        };
        LOADS.forEach(listener);
    }
}
