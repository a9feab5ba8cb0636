package dev.sdserve.orchestrator.client;

import dev.sdserve.runtime.SdException;
import io.grpc.Status;
import java.time.Duration;

/**
 * Where a stage service lives and how long one call to it may take. It also turns a failed call into an
 * {@link SdException} that names the stage, so a client sees "unet-service unavailable at localhost:50053: ..."
 * instead of a bare transport error.
 *
 * @param stage    the service's name in messages, e.g. "unet-service"
 * @param address  host:port, for messages
 * @param deadline the per-call deadline (for the UNet, per step)
 */
public record StageEndpoint(String stage, String address, Duration deadline) {

    /** Maps a failed call to a domain exception naming the stage, keeping the status class. */
    public SdException failure(Throwable t) {
        if (t instanceof SdException sd) return sd;
        Status status = Status.fromThrowable(t);
        String detail = status.getDescription() != null ? status.getDescription()
                : status.getCause() != null ? status.getCause().toString() : status.getCode().toString();
        return switch (status.getCode()) {
            case UNAVAILABLE -> new SdException(SdException.Kind.UNAVAILABLE,
                    stage + " unavailable at " + address + ": " + detail, t);
            case DEADLINE_EXCEEDED -> new SdException(SdException.Kind.DEADLINE_EXCEEDED,
                    stage + " at " + address + " did not answer within the deadline: " + detail, t);
            case CANCELLED -> new SdException(SdException.Kind.CANCELLED, stage + " call cancelled: " + detail, t);
            case INVALID_ARGUMENT -> new SdException(SdException.Kind.INVALID_ARGUMENT, stage + ": " + detail, t);
            case NOT_FOUND -> new SdException(SdException.Kind.NOT_FOUND, stage + ": " + detail, t);
            case RESOURCE_EXHAUSTED -> new SdException(SdException.Kind.RESOURCE_EXHAUSTED, stage + ": " + detail, t);
            case FAILED_PRECONDITION -> new SdException(SdException.Kind.FAILED_PRECONDITION, stage + ": " + detail, t);
            default -> new SdException(SdException.Kind.INTERNAL,
                    stage + " failed (" + status.getCode() + "): " + detail, t);
        };
    }

    /** The same stage at one of its replicas. */
    public StageEndpoint at(String replica) {
        return new StageEndpoint(stage, replica, deadline);
    }

    /** A step or reply that did not come within {@link #deadline()}. */
    public SdException timedOut(String what) {
        return new SdException(SdException.Kind.DEADLINE_EXCEEDED,
                stage + " at " + address + ": " + what + " took longer than " + deadline.toMillis() + " ms");
    }
}
