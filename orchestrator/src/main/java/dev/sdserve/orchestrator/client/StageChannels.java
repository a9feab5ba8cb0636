package dev.sdserve.orchestrator.client;

import io.grpc.LoadBalancerRegistry;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.quarkus.grpc.api.ChannelBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcClientConfiguration;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;

/**
 * The service config of the orchestrator's stage channels (Quarkus clients {@code text-encoder}, {@code unet},
 * {@code vae}), so that every stage may have several replicas: the {@value LeastSessionsLoadBalancerProvider#POLICY}
 * balancer, client-side health checking (grpc.health.v1 Watch, overall service ""), and for the unary
 * TextEncoder and Vae calls grpc-java's retry policy on UNAVAILABLE (a retry is picked afresh, so it goes to a
 * serving replica; the channel needs {@code quarkus.grpc.clients.<name>.retry=true}). The replicas come from
 * the client's name resolver: {@code dns} (default; a name resolving to many addresses) or {@code static}
 * ({@link StaticNameResolverProvider}). One host is one replica: today's single-endpoint setup.
 */
@Singleton
public class StageChannels implements ChannelBuilderCustomizer<NettyChannelBuilder> {
    /** Quarkus client name → stage service name. */
    static final Map<String, String> STAGES = Map.of("text-encoder", "text-encoder-service", "unet", "unet-service",
            "vae", "vae-service");

    static {
        register();
    }

    /** Makes our resolver and balancer known to grpc-java (also listed under META-INF/services). */
    public static synchronized void register() {
        if (NameResolverRegistry.getDefaultRegistry().getProviderForScheme(StaticNameResolverProvider.SCHEME) == null) {
            NameResolverRegistry.getDefaultRegistry().register(new StaticNameResolverProvider());
        }
        if (LoadBalancerRegistry.getDefaultRegistry().getProvider(LeastSessionsLoadBalancerProvider.POLICY) == null) {
            LoadBalancerRegistry.getDefaultRegistry().register(new LeastSessionsLoadBalancerProvider());
        }
    }

    @Override
    public Map<String, Object> customize(String name, GrpcClientConfiguration config, NettyChannelBuilder builder) {
        String stage = STAGES.get(name);
        return stage == null ? Map.of() : serviceConfig(stage);
    }

    /** The service config of a stage's channel (JSON as maps; numbers as doubles, as grpc-java wants). */
    public static Map<String, Object> serviceConfig(String stage) {
        register();
        Map<String, Object> retry = Map.of("maxAttempts", 3.0, "initialBackoff", "0.05s", "maxBackoff", "0.5s",
                "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE"));
        return Map.of(
                "loadBalancingConfig", List.of(Map.of(LeastSessionsLoadBalancerProvider.POLICY, Map.of("stage", stage))),
                "healthCheckConfig", Map.of("serviceName", ""),
                "methodConfig", List.of(Map.of("name", List.of(Map.of("service", "sd.v1.TextEncoder"),
                        Map.of("service", "sd.v1.Vae")), "retryPolicy", retry)));
    }
}
