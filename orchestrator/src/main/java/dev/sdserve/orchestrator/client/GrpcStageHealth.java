package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.StageHealth;
import dev.sdserve.runtime.SdException;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link StageHealth} over grpc.health.v1 (Quarkus ships its stubs as package {@code grpc.health.v1}): one Check
 * per stage with a short deadline, in stage order.
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
                // the first failure says why (e.g. connection refused); the retry only timed out waiting
                throw new SdException(SdException.Kind.UNAVAILABLE, s.endpoint().stage() + " unavailable at "
                        + s.endpoint().address() + ": health check failed: " + describe(first), e);
            }
        }
        if (status != HealthCheckResponse.ServingStatus.SERVING) {
            throw new SdException(SdException.Kind.UNAVAILABLE, s.endpoint().stage() + " unavailable at "
                    + s.endpoint().address() + ": its health is " + status);
        }
    }

    private static String describe(StatusRuntimeException e) {
        Status st = e.getStatus();
        StringBuilder out = new StringBuilder(st.getCode().toString());
        if (st.getDescription() != null) out.append(": ").append(st.getDescription());
        Throwable root = st.getCause();
        while (root != null && root.getCause() != null) root = root.getCause();
        if (root != null && root.getMessage() != null) out.append(" (").append(root.getMessage()).append(')');
        return out.toString();
    }

    private HealthCheckResponse.ServingStatus ask(Stage s, boolean waitForReady) {
        HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(s.channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (waitForReady) stub = stub.withWaitForReady();
        return stub.check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
