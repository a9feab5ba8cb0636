package dev.sdserve.runtime;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/**
 * The one place where domain exceptions become gRPC statuses. Clients get a status and a message, never a stack trace.
 * Only {@link SdException}s raised by request validation become INVALID_ARGUMENT (and the other client-facing codes);
 * anything else is a fault of the service: INTERNAL, logged here with its stack trace, and the client gets a short
 * message without internals.
 */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    /** What a client is told about a fault that is not its own; the server log has the stack trace. */
    public static final String INTERNAL_MESSAGE = "internal error (logged by the service)";

    private GrpcErrors() {
    }

    /** Maps any throwable to a StatusRuntimeException with a user-readable description. */
    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (t instanceof StatusException se) {
            return se.getStatus().asRuntimeException(se.getTrailers());
        }
        if (t instanceof SdException sd) {
            Status status = switch (sd.kind()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case CANCELLED -> Status.CANCELLED;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case INTERNAL -> Status.INTERNAL;
            };
            if (sd.kind() == SdException.Kind.INTERNAL) {
                LOG.error(sd.getMessage(), sd);
            }
            return status.withDescription(sd.getMessage()).asRuntimeException();
        }
        if (t instanceof OutOfMemoryError) {
            LOG.error("out of memory", t);
            return Status.RESOURCE_EXHAUSTED.withDescription("out of memory: " + t.getMessage()).asRuntimeException();
        }
        LOG.error("internal error", t);
        return Status.INTERNAL.withDescription(INTERNAL_MESSAGE).asRuntimeException();
    }
}
