package dev.sdserve.orchestrator;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import javax.imageio.ImageIO;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Startup and graceful drain. On shutdown, before the gRPC server goes away, running generations get
 * {@code sd.orchestrator.drain-timeout} to finish; those still running are then cancelled (UNet sessions
 * closed, clients told UNAVAILABLE), and queued or new ones are refused with UNAVAILABLE.
 */
@ApplicationScoped
public class OrchestratorLifecycle {
    private static final Logger LOG = Logger.getLogger(OrchestratorLifecycle.class);
    /** After the cancel, how long the cancelled generations get to close their sessions and answer. */
    private static final Duration UNWIND = Duration.ofSeconds(2);

    /**
     * PNGs are encoded in memory. ImageIO's default disk cache registers a JVM shutdown hook per stream, which
     * throws once shutdown has begun, so a generation finishing during the drain would fail at its PNG.
     */
    void onStart(@Observes StartupEvent event) {
        ImageIO.setUseCache(false);
    }

    void onShutdown(@Observes ShutdownEvent event, GenerationLimiter limiter, OrchestratorConfig config) {
        int running = limiter.running();
        LOG.infof("shutdown: draining %d running generation(s), up to %s", running, config.drainTimeout());
        int cancelled = limiter.drain(config.drainTimeout(), UNWIND);
        LOG.infof("shutdown: drained; %d generation(s) cancelled, %d still running", cancelled, limiter.running());
    }
}
