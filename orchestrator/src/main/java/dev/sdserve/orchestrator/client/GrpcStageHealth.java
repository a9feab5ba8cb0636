package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.StageHealth;
import dev.sdserve.runtime.SdException;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link StageHealth} over grpc.health.v1: one Check per stage with a short deadline, in stage order.
 *
 * <p>A channel whose service went away waits (exponential back-off, up to minutes) before it reconnects, and
 * calls fail at once meanwhile. So a failed check resets the channel's back-off and asks once more, waiting
 * for the connection up to the deadline: a stage restarted a moment ago is found at once, and one that is
 * down fails within the deadline.
 */
public final class GrpcStageHealth implements StageHealth {

    /** A stage's channel and where it is, for messages. */
    public record Stage(StageEndpoint endpoint, Channel channel) {
    }

    private final List<Stage> stages;
    private final Duration timeout;

    /** @param timeout the deadline of one Check */
    public GrpcStageHealth(List<Stage> stages, Duration timeout) {
        this.stages = List.copyOf(stages);
        this.timeout = timeout;
    }

    @Override
    public void requireServing() {
        for (Stage s : stages) check(s);
    }

    private void check(Stage s) {
        HealthCheckResponse.ServingStatus status;
        try {
            status = ask(s, false);
        } catch (StatusRuntimeException first) {
            if (s.channel() instanceof ManagedChannel m) m.resetConnectBackoff();
            try {
                status = ask(s, true);
            } catch (StatusRuntimeException e) {
                throw new SdException(SdException.Kind.UNAVAILABLE, s.endpoint().stage() + " unavailable at "
                        + s.endpoint().address() + ": health check failed (" + e.getStatus().getCode()
                        + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription())
                        + ")", e);
            }
        }
        if (status != HealthCheckResponse.ServingStatus.SERVING) {
            throw new SdException(SdException.Kind.UNAVAILABLE, s.endpoint().stage() + " unavailable at "
                    + s.endpoint().address() + ": its health is " + status);
        }
    }

    private HealthCheckResponse.ServingStatus ask(Stage s, boolean waitForReady) {
        HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(s.channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (waitForReady) stub = stub.withWaitForReady();
        return stub.check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
