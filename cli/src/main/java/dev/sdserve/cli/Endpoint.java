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

    /**
     * Seconds to wait for this service's grpc.health.v1 SERVING before the first call. The ./sd launcher sets it
     * when it found the services' processes running and so skipped its own health check (one JVM per command);
     * unset or 0: no check, the call itself says when the service is unreachable.
     */
    public static final String WAIT_SERVING_ENV = "SD_WAIT_SERVING";
    private static final long POLL_MS = 200;

    /** Waits as {@link #WAIT_SERVING_ENV} says, on the channel the command then uses (one connection, milliseconds when up). */
    public void awaitServing(ManagedChannel channel) throws InterruptedException {
        String s = System.getenv(WAIT_SERVING_ENV);
        if (s == null || s.isBlank()) return;
        double seconds;
        try {
            seconds = Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            throw Status.INVALID_ARGUMENT.withDescription("$" + WAIT_SERVING_ENV + " must be seconds, got '" + s + "'")
                    .asRuntimeException();
        }
        awaitServing(channel, seconds);
    }

    /**
     * Polls grpc.health.v1 on {@code channel} until the service answers SERVING, at most {@code seconds}; then
     * UNAVAILABLE naming the service, its address and the last state. A server without the health service
     * (UNIMPLEMENTED) counts as serving: its calls will tell.
     */
    public void awaitServing(ManagedChannel channel, double seconds) throws InterruptedException {
        if (seconds <= 0) return;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        String state = HealthCommand.check(channel);
        while (!HealthCommand.SERVING.equals(state) && !"UNIMPLEMENTED".equals(state) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MS);
            channel.resetConnectBackoff(); // a service that just bound its port is tried now, not after gRPC's backoff
            state = HealthCommand.check(channel);
        }
        if (HealthCommand.SERVING.equals(state) || "UNIMPLEMENTED".equals(state)) return;
        throw Status.UNAVAILABLE.withDescription(name + " at " + target + " is " + state + " after " + seconds
                + " s of waiting for its gRPC health (`./sd status` shows the services, `./sd logs " + name
                + "` its log)").asRuntimeException();
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
        if (s.getDescription() != null && s.getDescription().startsWith(name + " at ")) return e; // said already
        return s.withDescription(name + " at " + target + ": " + s.getDescription()
                + " (is it running? `./sd up` starts the services)").asRuntimeException();
    }
}
