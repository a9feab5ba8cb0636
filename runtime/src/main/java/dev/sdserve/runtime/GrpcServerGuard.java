package dev.sdserve.runtime;

import io.quarkus.grpc.runtime.GrpcServer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.value.registry.ValueRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Stops a service whose gRPC server did not start. Quarkus' separate gRPC server logs "Unable to start the gRPC
 * server" (for example when its port is taken) and the application starts anyway, serving nothing: launchers and
 * health checks of the port would then talk to whatever process holds it. Quarkus registers the gRPC port in its
 * {@link ValueRegistry} once the server listens; at start-up this checks that it did, and exits with status 1
 * and one clear log line otherwise.
 */
@ApplicationScoped
public class GrpcServerGuard {
    private static final Logger LOG = Logger.getLogger(GrpcServerGuard.class);

    void onStart(@Observes StartupEvent event, Instance<ValueRegistry> registry) {
        boolean separate = ConfigProvider.getConfig()
                .getOptionalValue("quarkus.grpc.server.use-separate-server", Boolean.class).orElse(true);
        if (!separate || !registry.isResolvable()) return; // the unified HTTP server fails start-up by itself
        if (!listening(registry.get())) {
            String port = ConfigProvider.getConfig().getOptionalValue("quarkus.grpc.server.port", String.class).orElse("?");
            LOG.errorf("gRPC server is not listening (port %s; the error above says why, e.g. the port is in use by "
                    + "another process): exiting", port);
            Quarkus.asyncExit(1);
        }
    }

    /** Whether Quarkus registered the port of a started gRPC server. */
    static boolean listening(ValueRegistry registry) {
        return registry.containsKey(GrpcServer.GRPC_PORT);
    }
}
