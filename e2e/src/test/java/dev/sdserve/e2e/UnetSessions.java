package dev.sdserve.e2e;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.StepRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a UNet session is still open on unet-service, seen from outside. The session id comes from the
 * orchestrator's debug log; unet-service's unary Step answers a session-less request with INVALID_ARGUMENT
 * while the session is open (the id is looked up first) and NOT_FOUND once it is closed.
 */
final class UnetSessions {
    private static final Pattern OPENED = Pattern.compile("unet session (\\S+) opened");

    private UnetSessions() {
    }

    /** The id of the first session the orchestrator opened after its log was {@code before}; waits up to 5 s. */
    static String openedAfter(ServiceCluster cluster, String before) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            Matcher m = OPENED.matcher(cluster.logText(ServiceCluster.Service.ORCHESTRATOR).substring(before.length()));
            if (m.find()) return m.group(1);
            Thread.sleep(100);
        }
        throw new AssertionError("the orchestrator logged no 'unet session ... opened' line");
    }

    /** Unary Step without a sample: INVALID_ARGUMENT when the session exists, NOT_FOUND when it does not. */
    static Status.Code probe(ServiceCluster cluster, String session) {
        try {
            DenoiserGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.UNET)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .step(StepRequest.newBuilder().setSessionId(session).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** Polls until the session is gone (NOT_FOUND) or {@code timeoutMs} passed; returns the ms it took, or -1. */
    static long msUntilFreed(ServiceCluster cluster, String session, long sinceNanos, long timeoutMs)
            throws InterruptedException {
        Status.Code code = probe(cluster, session);
        while (code != Status.Code.NOT_FOUND && System.nanoTime() - sinceNanos < timeoutMs * 1_000_000L) {
            Thread.sleep(20);
            code = probe(cluster, session);
        }
        return code == Status.Code.NOT_FOUND ? (System.nanoTime() - sinceNanos) / 1_000_000L : -1;
    }
}
