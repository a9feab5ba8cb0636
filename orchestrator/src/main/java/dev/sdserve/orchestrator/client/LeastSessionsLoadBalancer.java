package dev.sdserve.orchestrator.client;

import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * grpc-java load balancer {@value LeastSessionsLoadBalancerProvider#POLICY}: one subchannel per resolved replica
 * address; a replica takes calls only while READY, which with client-side health checking (the channel's
 * service config names {@code healthCheckConfig}) means connected and answering SERVING on grpc.health.v1's
 * Watch. A new stream (a UNet session) goes to the ready replica with the fewest open sessions, a unary call to
 * the one with the fewest open calls ({@link ReplicaLoad#choose}); a call may name replicas to avoid through its
 * {@link ReplicaPick}. A replica that failed stays failed (not "connecting") until it is READY again, so calls
 * fail at once, naming every replica and why, when none serves.
 */
final class LeastSessionsLoadBalancer extends LoadBalancer {
    private static final Logger LOG = Logger.getLogger(LeastSessionsLoadBalancer.class);
    /** A pick whose stream never started (its transport went away in between) gives its count back after this. */
    private static final long UNCLAIMED_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How often DNS is asked again, so replicas added behind a name are found (grpc-java re-resolves only on failures). */
    private static final long REFRESH_SECONDS = 30;

    private final Helper helper;
    private final Map<EquivalentAddressGroup, Replica> replicas = new LinkedHashMap<>();
    private final AtomicInteger rotation = new AtomicInteger();
    /** Picks whose stream has not started yet (shared by successive pickers). */
    private final ConcurrentLinkedQueue<Reservation> unclaimed = new ConcurrentLinkedQueue<>();
    private String stage = "stage";
    private SynchronizationContext.ScheduledHandle refresh;

    /** A replica's subchannel, its shown state and its load. */
    private static final class Replica {
        final Subchannel subchannel;
        final ReplicaLoad load;
        ConnectivityStateInfo state = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);

        Replica(Subchannel subchannel, ReplicaLoad load) {
            this.subchannel = subchannel;
            this.load = load;
        }
    }

    LeastSessionsLoadBalancer(Helper helper) {
        this.helper = helper;
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        if (resolved.getLoadBalancingPolicyConfig() instanceof LeastSessionsLoadBalancerProvider.Config c) stage = c.stage();
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (EquivalentAddressGroup g : resolved.getAddresses()) {
            for (SocketAddress a : g.getAddresses()) groups.add(new EquivalentAddressGroup(a)); // one replica per address
        }
        if (groups.isEmpty()) {
            Status empty = Status.UNAVAILABLE.withDescription("no address resolved for " + stage);
            handleNameResolutionError(empty);
            return empty;
        }
        Map<EquivalentAddressGroup, Replica> stale = new HashMap<>(replicas);
        for (EquivalentAddressGroup g : groups) {
            if (stale.remove(g) != null) continue;
            Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(g).build());
            Replica r = new Replica(sc, new ReplicaLoad(stage, address(g)));
            replicas.put(g, r);
            ReplicaStats.register(r.load);
            sc.start(state -> onState(r, state));
            sc.requestConnection();
            LOG.infof("%s replica %s added", stage, r.load.address());
        }
        for (Map.Entry<EquivalentAddressGroup, Replica> gone : stale.entrySet()) {
            replicas.remove(gone.getKey());
            gone.getValue().subchannel.shutdown();
            ReplicaStats.unregister(gone.getValue().load);
            LOG.infof("%s replica %s removed", stage, gone.getValue().load.address());
        }
        scheduleRefresh();
        updateBalancingState();
        return Status.OK;
    }

    private void scheduleRefresh() {
        if (refresh != null && refresh.isPending()) return;
        refresh = helper.getSynchronizationContext().schedule(() -> {
            helper.refreshNameResolution();
            scheduleRefresh();
        }, REFRESH_SECONDS, TimeUnit.SECONDS, helper.getScheduledExecutorService());
    }

    private void onState(Replica r, ConnectivityStateInfo info) {
        if (replicas.get(r.subchannel.getAddresses()) != r) return; // removed meanwhile
        ConnectivityState s = info.getState();
        if (s == ConnectivityState.SHUTDOWN) return;
        if (s == ConnectivityState.IDLE) r.subchannel.requestConnection(); // stay connected: health is watched
        boolean sticky = r.state.getState() == ConnectivityState.TRANSIENT_FAILURE
                && (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE);
        if (!sticky) {
            if (r.state.getState() != s) LOG.infof("%s replica %s: %s", stage, r.load.address(), describe(info));
            r.state = info;
        }
        updateBalancingState();
    }

    private void updateBalancingState() {
        List<Replica> ready = new ArrayList<>();
        boolean connecting = false;
        for (Replica r : replicas.values()) {
            ConnectivityState s = r.state.getState();
            if (s == ConnectivityState.READY) ready.add(r);
            else if (s != ConnectivityState.TRANSIENT_FAILURE) connecting = true;
        }
        if (!ready.isEmpty()) {
            helper.updateBalancingState(ConnectivityState.READY, new Picker(ready));
        } else if (connecting) {
            helper.updateBalancingState(ConnectivityState.CONNECTING, new SubchannelPicker() {
                @Override
                public PickResult pickSubchannel(PickSubchannelArgs args) {
                    return PickResult.withNoResult();
                }
            });
        } else {
            Status none = Status.UNAVAILABLE.withDescription("no serving " + stage + " replica: " + states());
            helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new SubchannelPicker() {
                @Override
                public PickResult pickSubchannel(PickSubchannelArgs args) {
                    return PickResult.withError(none);
                }
            });
        }
    }

    /** "a:1 NOT_SERVING (...), b:2 connection refused" for messages. */
    private String states() {
        List<String> out = new ArrayList<>();
        for (Replica r : replicas.values()) out.add(r.load.address() + " " + describe(r.state));
        return String.join(", ", out);
    }

    private static String describe(ConnectivityStateInfo info) {
        Status st = info.getStatus();
        if (st.isOk()) return info.getState().toString();
        StringBuilder b = new StringBuilder(info.getState().toString()).append(" (");
        b.append(st.getDescription() != null ? st.getDescription() : st.getCode().toString());
        Throwable root = st.getCause();
        while (root != null && root.getCause() != null) root = root.getCause();
        if (root != null && root.getMessage() != null) b.append(": ").append(root.getMessage());
        return b.append(')').toString();
    }

    @Override
    public void handleNameResolutionError(Status error) {
        if (replicas.values().stream().anyMatch(r -> r.state.getState() == ConnectivityState.READY)) return;
        Status failed = Status.UNAVAILABLE.withDescription(stage + ": cannot resolve its replicas: " + error.getDescription())
                .withCause(error.getCause());
        helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new SubchannelPicker() {
            @Override
            public PickResult pickSubchannel(PickSubchannelArgs args) {
                return PickResult.withError(failed);
            }
        });
    }

    @Override
    public void shutdown() {
        if (refresh != null) refresh.cancel();
        for (Replica r : replicas.values()) {
            r.subchannel.shutdown();
            ReplicaStats.unregister(r.load);
        }
        replicas.clear();
    }

    static String address(EquivalentAddressGroup g) {
        SocketAddress a = g.getAddresses().get(0);
        return a instanceof InetSocketAddress in ? in.getHostString() + ":" + in.getPort() : a.toString();
    }

    /** Picks among the ready replicas; its counts are the replicas' own, so a new picker keeps them. */
    private final class Picker extends SubchannelPicker {
        private final List<Replica> ready;

        Picker(List<Replica> ready) {
            this.ready = List.copyOf(ready);
        }

        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            releaseUnclaimed();
            ReplicaPick pick = args.getCallOptions().getOption(ReplicaPick.KEY);
            Set<String> avoid = pick == null ? Set.of() : pick.avoid();
            boolean streaming = args.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY;
            Reservation res;
            Replica chosen;
            synchronized (this) { // choose and count as one step, so concurrent opens spread
                List<ReplicaLoad> loads = ready.stream().map(r -> r.load).toList();
                Optional<ReplicaLoad> best = ReplicaLoad.choose(loads, avoid, streaming, rotation.getAndIncrement());
                if (best.isEmpty()) return PickResult.withError(Status.UNAVAILABLE.withDescription("no serving " + stage));
                chosen = ready.get(loads.indexOf(best.get()));
                res = new Reservation(chosen.load.begin(streaming), pick, chosen.load.address());
            }
            unclaimed.add(res);
            return PickResult.withSubchannel(chosen.subchannel, res);
        }

        private void releaseUnclaimed() {
            long now = System.nanoTime();
            for (Reservation r = unclaimed.peek(); r != null; r = unclaimed.peek()) {
                if (!r.claimed.get() && now - r.createdNanos < UNCLAIMED_NANOS) return;
                if (unclaimed.remove(r) && r.claimed.compareAndSet(false, true)) r.end.run();
            }
        }
    }

    /** A pick's count: taken over by the stream's tracer when the stream starts, ended when it closes. */
    private static final class Reservation extends ClientStreamTracer.Factory {
        final Runnable end;
        final ReplicaPick pick;
        final String address;
        final long createdNanos = System.nanoTime();
        final AtomicBoolean claimed = new AtomicBoolean();

        Reservation(Runnable end, ReplicaPick pick, String address) {
            this.end = end;
            this.pick = pick;
            this.address = address;
        }

        @Override
        public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
            boolean mine = claimed.compareAndSet(false, true);
            if (pick != null) pick.chose(address);
            return new ClientStreamTracer() {
                @Override
                public void streamClosed(Status status) {
                    if (mine) end.run();
                }
            };
        }
    }
}
