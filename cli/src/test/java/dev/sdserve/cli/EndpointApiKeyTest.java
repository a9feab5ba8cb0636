package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The CLI sends the key of SD_API_KEY as {@code authorization: Bearer <key>} and never prints it. */
class EndpointApiKeyTest {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    static String authorizationSent(Endpoint endpoint) throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        ServerInterceptor capture = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                seen.set(headers.get(AUTHORIZATION));
                return next.startCall(call, headers);
            }
        };
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), capture))
                .build().start();
        Endpoint e = new Endpoint(endpoint.name(), "localhost:" + server.getPort(), endpoint.apiKey());
        ManagedChannel ch = e.open();
        try {
            HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
            return seen.get();
        } finally {
            ch.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theKeyIsSentAsABearerToken() throws Exception {
        Endpoint e = new Endpoint("orchestrator", "unused").withApiKey(" sk-cli-key ");
        assertEquals("Bearer sk-cli-key", authorizationSent(e));
        assertFalse(e.toString().contains("sk-cli-key"), e.toString());
    }

    @Test
    void noKeyNoHeader() throws Exception {
        assertNull(authorizationSent(new Endpoint("orchestrator", "unused").withApiKey("")));
        assertNull(authorizationSent(new Endpoint("orchestrator", "unused").withApiKey(null)));
    }

    @Test
    void unauthenticatedSaysWhichVariableToSet() {
        StatusRuntimeException refused = Status.UNAUTHENTICATED.withDescription("authorization: a valid key is required")
                .asRuntimeException();
        String without = new Endpoint("orchestrator", "h:1").explain(refused).getStatus().getDescription();
        assertTrue(without.contains("set $SD_API_KEY"), without);
        String with = new Endpoint("orchestrator", "h:1").withApiKey("k1").explain(refused).getStatus().getDescription();
        assertTrue(with.contains("was refused") && !with.contains("k1"), with);
    }
}
