package dev.sdserve.orchestrator.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * grpc-java name resolver for a fixed list of replicas, scheme {@value #SCHEME}: {@code static:///h1:p1,h2:p2}.
 * Quarkus builds a client's target as {@code <name-resolver>://<host>:<port>}, so with
 * {@code quarkus.grpc.clients.unet.name-resolver=static} and {@code host=h1:p1,h2:p2} the target is
 * {@code static://h1:p1,h2:p2:<port>}: the configured port ends the list and is the port of entries that give
 * none. Host names are looked up again on every refresh. (A DNS name resolving to many addresses, e.g. a
 * Kubernetes headless Service, needs no provider of ours: that is grpc-java's {@code dns} resolver.)
 */
public final class StaticNameResolverProvider extends NameResolverProvider {
    public static final String SCHEME = "static";

    /** A replica as given: host and port. */
    record Entry(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) return null;
        List<Entry> entries = parse(target);
        return new NameResolver() {
            private Listener2 listener;

            @Override
            public String getServiceAuthority() {
                return entries.get(0).host();
            }

            @Override
            public void start(Listener2 l) {
                listener = l;
                resolve();
            }

            @Override
            public void refresh() {
                resolve();
            }

            private void resolve() {
                List<EquivalentAddressGroup> groups = new ArrayList<>();
                for (Entry e : entries) {
                    InetSocketAddress a = new InetSocketAddress(e.host(), e.port());
                    if (!a.isUnresolved()) groups.add(new EquivalentAddressGroup(a));
                }
                if (groups.isEmpty()) {
                    listener.onError(Status.UNAVAILABLE.withDescription("cannot resolve any of " + entries));
                } else {
                    listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
                }
            }

            @Override
            public void shutdown() {
            }
        };
    }

    /**
     * The replicas of {@code static://h1:p1,h2,h3:p3:DEFAULT} (Quarkus' form: the configured port last) or
     * {@code static:///h1:p1,h2:p2}.
     */
    static List<Entry> parse(URI target) {
        String list = target.getRawAuthority();
        int defaultPort = -1;
        if (list == null || list.isEmpty()) {
            list = target.getRawPath() == null ? "" : target.getRawPath().replaceFirst("^/", "");
        } else { // Quarkus' form: the configured port always ends it
            int last = list.lastIndexOf(':');
            if (last < 0) throw new IllegalArgumentException("no port at the end of " + target);
            defaultPort = port(list.substring(last + 1), target);
            list = list.substring(0, last);
        }
        List<Entry> out = new ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            int colon = p.lastIndexOf(':');
            if (colon < 0) {
                if (defaultPort < 0) throw new IllegalArgumentException("replica '" + p + "' of " + target + " has no port");
                out.add(new Entry(p, defaultPort));
            } else {
                out.add(new Entry(p.substring(0, colon), port(p.substring(colon + 1), target)));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no replica in " + target);
        return List.copyOf(out);
    }

    /** The replicas ({@code host:port}) a Quarkus client with this host list and port resolves to. */
    public static List<String> replicas(String host, String port) {
        return parse(URI.create(SCHEME + "://" + host + ":" + port)).stream().map(Entry::toString).toList();
    }

    private static int port(String s, URI target) {
        try {
            int p = Integer.parseInt(s);
            if (p > 0 && p < 65536) return p;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException("bad port '" + s + "' in " + target);
    }
}
