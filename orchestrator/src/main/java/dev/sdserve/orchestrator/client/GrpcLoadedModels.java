package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.ModelCatalog;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.LoadedUnet;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** {@link ModelCatalog.LoadedModels} from unet-service's GetStatus, with a short deadline. */
public final class GrpcLoadedModels implements ModelCatalog.LoadedModels {
    private static final Logger LOG = Logger.getLogger(GrpcLoadedModels.class);

    private final DenoiserGrpc.DenoiserBlockingStub stub;
    private final Duration timeout;

    public GrpcLoadedModels(DenoiserGrpc.DenoiserBlockingStub stub, Duration timeout) {
        this.stub = stub;
        this.timeout = timeout;
    }

    @Override
    public Optional<Set<String>> loaded() {
        try {
            Set<String> out = new TreeSet<>();
            for (LoadedUnet u : stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .getStatus(GetStatusRequest.getDefaultInstance()).getLoadedList()) {
                out.add(u.getModel());
            }
            return Optional.of(out);
        } catch (StatusRuntimeException e) {
            LOG.debugf("ListModels: cannot ask unet-service which models are loaded: %s", e.getStatus());
            return Optional.empty();
        }
    }
}
