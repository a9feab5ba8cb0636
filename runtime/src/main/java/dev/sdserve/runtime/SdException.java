package dev.sdserve.runtime;

/**
 * A domain error with the gRPC status class it maps to. Stage code throws these; the gRPC adapters turn
 * them into a {@link io.grpc.Status} through {@link GrpcErrors}, so no service hand-writes status mapping.
 */
public class SdException extends RuntimeException {

    /** The status class a client sees. Names follow gRPC's codes. */
    public enum Kind {
        INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,
        FAILED_PRECONDITION, INTERNAL
    }

    private final Kind kind;

    public SdException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SdException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static SdException invalid(String message) {
        return new SdException(Kind.INVALID_ARGUMENT, message);
    }

    public static SdException notFound(String message) {
        return new SdException(Kind.NOT_FOUND, message);
    }

    public static SdException exhausted(String message) {
        return new SdException(Kind.RESOURCE_EXHAUSTED, message);
    }

    public static SdException unavailable(String message) {
        return new SdException(Kind.UNAVAILABLE, message);
    }

    public static SdException internal(String message, Throwable cause) {
        return new SdException(Kind.INTERNAL, message, cause);
    }

    /** Throws INVALID_ARGUMENT with the message when the condition is false. */
    public static void require(boolean condition, String message) {
        if (!condition) {
            throw invalid(message);
        }
    }
}
