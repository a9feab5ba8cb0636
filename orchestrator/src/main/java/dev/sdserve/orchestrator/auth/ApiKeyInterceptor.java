package dev.sdserve.orchestrator.auth;

import dev.sdserve.orchestrator.OrchestratorConfig;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.runtime.StartupEvent;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Access control of the public API, as a gRPC {@link ServerInterceptor} registered on the ImageGeneration service
 * (health and reflection stay open). With API keys configured, every call must carry
 * {@code authorization: Bearer <key>}; without a valid key it is closed UNAUTHENTICATED before the service sees it,
 * so nothing runs. A Generate call also takes a slot of its key's limit for as long as it runs
 * ({@code sd.orchestrator.max-concurrent-per-key}); past it, RESOURCE_EXHAUSTED. Without keys the API is open, as
 * before; a warning says so when the server listens beyond localhost. Keys are never logged (only their ids).
 */
@Singleton
public class ApiKeyInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(ApiKeyInterceptor.class);
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String GENERATE = ImageGenerationGrpc.getGenerateMethod().getFullMethodName();

    private final ApiKeys keys;
    private final KeyLimits limits;

    @Inject
    public ApiKeyInterceptor(OrchestratorConfig config) {
        this(ApiKeys.load(config.apiKeys(), config.apiKeysFile()), new KeyLimits(config.maxConcurrentPerKey()));
    }

    public ApiKeyInterceptor(ApiKeys keys, KeyLimits limits) {
        this.keys = keys;
        this.limits = limits;
    }

    void onStart(@Observes StartupEvent event) {
        String host = ConfigProvider.getConfig().getOptionalValue("quarkus.grpc.server.host", String.class)
                .orElse("0.0.0.0");
        if (keys.enabled()) {
            LOG.infof("public API: %d API key(s); max %s running generation(s) per key", keys.size(),
                    limits.maxPerKey() == 0 ? "unlimited" : String.valueOf(limits.maxPerKey()));
        } else if (!loopback(host)) {
            LOG.warnf("public API: no API keys (sd.orchestrator.api-keys / api-keys-file) and the server listens on "
                    + "%s: anyone who can reach it can generate. Set keys, or bind to 127.0.0.1", host);
        }
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        if (!keys.enabled()) return next.startCall(call, headers);
        Optional<String> id = keys.identify(headers.get(AUTHORIZATION));
        if (id.isEmpty()) {
            LOG.debugf("public API: %s refused: no valid API key", call.getMethodDescriptor().getFullMethodName());
            call.close(Status.UNAUTHENTICATED.withDescription("authorization: a valid 'Bearer <API key>' header is"
                    + " required"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        if (!GENERATE.equals(call.getMethodDescriptor().getFullMethodName())) return next.startCall(call, headers);
        Optional<Runnable> slot = limits.tryAcquire(id.get());
        if (slot.isEmpty()) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("authorization: this API key already runs "
                    + limits.maxPerKey() + " generation(s) (sd.orchestrator.max-concurrent-per-key); retry later"),
                    new Metadata());
            return new ServerCall.Listener<>() { };
        }
        Runnable release = slot.get();
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(call, headers);
        } catch (RuntimeException | Error e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    release.run();
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }
}
