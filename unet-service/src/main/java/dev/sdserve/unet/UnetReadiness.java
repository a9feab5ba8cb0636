package dev.sdserve.unet;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Readiness on grpc.health.v1 (what a Kubernetes gRPC readiness probe and the orchestrator's balancer watch):
 * NOT_SERVING from start-up until the models of {@code sd.unet.warm-models} (default: the default model) are
 * loaded at cache branch 0 (graphs derived, ONNX Runtime sessions created), then SERVING; NOT_SERVING again
 * from the moment the service starts draining. A model that cannot be loaded keeps the replica NOT_SERVING
 * (logged). Liveness is separate: the process and its gRPC server answer throughout.
 */
@Singleton
public class UnetReadiness {
    private static final Logger LOG = Logger.getLogger(UnetReadiness.class);
    private static final List<String> SERVICES = List.of("", "sd.v1.Denoiser");

    /** Where the replica is in its life. */
    public enum State { STARTING, SERVING, DRAINING }

    private final GrpcHealthStorage health;
    private volatile State state = State.STARTING;

    public UnetReadiness(GrpcHealthStorage health) {
        this.health = health;
    }

    /** Runs first among start-up observers: the gRPC server already listens, so say NOT_SERVING at once. */
    void notReadyYet(@Observes @Priority(1) StartupEvent event) {
        publish(ServingStatus.NOT_SERVING);
    }

    /** Runs after the other start-up checks (a service whose gRPC server did not start exits first). */
    void warmUp(@Observes @Priority(5000) StartupEvent event, DenoiseSessions sessions, UnetConfig config) {
        List<String> models = config.warmModels().orElse(List.of(""));
        long start = System.nanoTime();
        try {
            for (String model : models) sessions.describe(model.strip(), 0);
        } catch (RuntimeException e) {
            LOG.errorf("not ready: cannot load %s (sd.unet.warm-models): %s; staying NOT_SERVING", models, e.getMessage());
            return;
        }
        synchronized (this) {
            if (state != State.STARTING) return;
            state = State.SERVING;
            publish(ServingStatus.SERVING);
        }
        LOG.infof("ready: %s loaded in %.0f ms; SERVING", models.equals(List.of("")) ? "the default model" : models,
                (System.nanoTime() - start) / 1e6);
    }

    /** From now on NOT_SERVING and no new session (the shutdown's first step). */
    public synchronized void drain() {
        state = State.DRAINING;
        publish(ServingStatus.NOT_SERVING);
    }

    public State state() {
        return state;
    }

    private void publish(ServingStatus status) {
        for (String s : SERVICES) health.setStatus(s, status);
    }
}
