package dev.sdserve.orchestrator.client;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.protobuf.services.HealthCheckingLoadBalancerUtil;
import java.util.Map;

/**
 * Registers {@link LeastSessionsLoadBalancer} with grpc-java as policy {@value #POLICY}, wrapped in grpc-java's
 * client-side health checking so a replica that answers NOT_SERVING (starting, or draining) takes no new call.
 * Its config names the stage for messages and metrics: {@code {"sd_least_sessions": {"stage": "unet-service"}}}.
 */
public final class LeastSessionsLoadBalancerProvider extends LoadBalancerProvider {
    public static final String POLICY = "sd_least_sessions";

    /** The parsed policy config. */
    record Config(String stage) {
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public int getPriority() {
        return 5;
    }

    @Override
    public String getPolicyName() {
        return POLICY;
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
        return HealthCheckingLoadBalancerUtil.newHealthCheckingLoadBalancer(new LoadBalancer.Factory() {
            @Override
            public LoadBalancer newLoadBalancer(LoadBalancer.Helper h) {
                return new LeastSessionsLoadBalancer(h);
            }
        }, helper);
    }

    @Override
    public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
        Object stage = raw == null ? null : raw.get("stage");
        return ConfigOrError.fromConfig(new Config(stage instanceof String s && !s.isBlank() ? s : "stage"));
    }
}
