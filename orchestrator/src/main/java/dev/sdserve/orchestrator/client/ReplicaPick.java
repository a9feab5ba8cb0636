package dev.sdserve.orchestrator.client;

import io.grpc.CallOptions;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a call tells the {@link LeastSessionsLoadBalancer} about its pick, through its {@link CallOptions}: the
 * replicas to avoid (those a migrating session already lost), and, once picked, the replica it went to (for
 * error messages and the next exclusion).
 */
public final class ReplicaPick {
    static final CallOptions.Key<ReplicaPick> KEY = CallOptions.Key.create("sd-replica-pick");

    private final Set<String> avoid;
    private volatile String chosen;

    public ReplicaPick(Set<String> avoid) {
        this.avoid = Set.copyOf(new LinkedHashSet<>(avoid));
    }

    /** Replicas ({@code host:port}) not to pick while another one serves. */
    public Set<String> avoid() {
        return avoid;
    }

    /** The replica the call's stream went to, or null before a pick (or when none could be picked). */
    public String chosen() {
        return chosen;
    }

    void chose(String address) {
        chosen = address;
    }

    /** {@code options} carrying this pick. */
    public CallOptions attachTo(CallOptions options) {
        return options.withOption(KEY, this);
    }
}
