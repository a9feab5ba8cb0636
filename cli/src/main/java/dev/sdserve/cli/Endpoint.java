package dev.sdserve.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/**
 * A service the CLI talks to: its {@code host:port} from a flag, else an environment variable, else the
 * documented default port on localhost; for the orchestrator also the API key ({@code SD_API_KEY}), sent as
 * {@code authorization: Bearer <key>} on every call (never printed).
 */
public record Endpoint(String name, String target, Optional<String> apiKey) {
    /** The public API's key, when the orchestrator has {@code sd.orchestrator.api-keys} set. */
    public static final String API_KEY_ENV = "SD_API_KEY";
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    public Endpoint(String name, String target) {
        this(name, target, Optional.empty());
    }

    /** This endpoint, sending {@code key} (blank = none). */
    public Endpoint withApiKey(String key) {
        return new Endpoint(name, target, Optional.ofNullable(key).map(String::strip).filter(k -> !k.isEmpty()));
    }

    /** The orchestrator's public API: {@code --orchestrator}, else SD_ORCHESTRATOR, else localhost:50051. */
    public static final String ORCHESTRATOR_ENV = "SD_ORCHESTRATOR";
    /** text-encoder-service (for tokenize): {@code --text-encoder}, else SD_TEXT_ENCODER, else localhost:50052. */
    public static final String TEXT_ENCODER_ENV = "SD_TEXT_ENCODER";
    /** Results carry PNGs and latents; the services accept up to SD_MAX_MESSAGE_BYTES too (64 MiB by default). */
    private static final int MAX_MESSAGE_BYTES = 256 << 20;

    public static Endpoint orchestrator(String flag) {
        return resolve("orchestrator", flag, ORCHESTRATOR_ENV, 50051).withApiKey(System.getenv(API_KEY_ENV));
    }

    public static Endpoint textEncoder(String flag) {
        return resolve("text-encoder-service", flag, TEXT_ENCODER_ENV, 50052);
    }

    static Endpoint resolve(String name, String flag, String env, int defaultPort) {
        String fromEnv = System.getenv(env);
        String target = flag != null && !flag.isBlank() ? flag
                : fromEnv != null && !fromEnv.isBlank() ? fromEnv : "localhost:" + defaultPort;
        return new Endpoint(name, target.strip());
    }

    public ManagedChannel open() {
        ManagedChannelBuilder<?> b = ManagedChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES);
        apiKey.ifPresent(key -> {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + key);
            b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        });
        return b.build();
    }

    @Override
    public String toString() {
        return "Endpoint[" + name + " at " + target + (apiKey.isPresent() ? ", with an API key" : "") + "]";
    }

    /** Says which service failed when the server cannot be reached, so "UNAVAILABLE: io exception" becomes actionable. */
    public StatusRuntimeException explain(StatusRuntimeException e) {
        Status s = e.getStatus();
        if (s.getCode() == Status.Code.UNAUTHENTICATED) {
            return s.withDescription(s.getDescription() + (apiKey.isPresent() ? " (the key in $" + API_KEY_ENV
                    + " was refused)" : " (set $" + API_KEY_ENV + " to your API key)")).asRuntimeException();
        }
        if (s.getCode() != Status.Code.UNAVAILABLE) return e;
        return s.withDescription(name + " at " + target + ": " + s.getDescription()
                + " (is it running? `./sd up` starts the services)").asRuntimeException();
    }
}
