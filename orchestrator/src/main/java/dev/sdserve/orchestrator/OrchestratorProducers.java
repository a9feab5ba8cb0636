package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.client.GrpcDenoiserClient;
import dev.sdserve.orchestrator.client.GrpcLoadedModels;
import dev.sdserve.orchestrator.client.GrpcStageHealth;
import dev.sdserve.orchestrator.client.GrpcTextEncoderClient;
import dev.sdserve.orchestrator.client.GrpcVaeClient;
import dev.sdserve.orchestrator.client.StageEndpoint;
import dev.sdserve.orchestrator.client.StaticNameResolverProvider;
import dev.sdserve.orchestrator.pipeline.Pipeline;
import dev.sdserve.orchestrator.pipeline.StageClients;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.ModelRoots;
import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import io.quarkus.runtime.LaunchMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * CDI wiring: the gRPC stubs of the three stages (clients "text-encoder", "unet", "vae", configured under
 * {@code quarkus.grpc.clients.<name>.host/port}) become the plain {@link StageClients} the pipeline uses.
 */
@ApplicationScoped
public class OrchestratorProducers {

    /*
     * Channels, not stubs: the UNet session needs the async stub (Quarkus injects only blocking and Mutiny
     * ones), and the health check needs the channel itself to reset its reconnect back-off.
     */
    @GrpcClient("text-encoder")
    Channel textEncoder;
    @GrpcClient("unet")
    Channel unet;
    @GrpcClient("vae")
    Channel vae;

    @Produces
    @Singleton
    Pipeline pipeline(OrchestratorConfig config, ReplicaMetrics metrics) {
        OrchestratorConfig.Deadlines d = config.deadline();
        StageEndpoint te = endpoint("text-encoder", d.textEncoder());
        StageEndpoint un = endpoint("unet", d.unetStep());
        StageEndpoint va = endpoint("vae", d.vae());
        StageClients stages = new StageClients(
                new GrpcTextEncoderClient(TextEncoderGrpc.newBlockingStub(textEncoder), te),
                new GrpcDenoiserClient(DenoiserGrpc.newStub(unet), un, d.unetSession(), config.maxMigrations(),
                        metrics::migrated),
                new GrpcVaeClient(VaeGrpc.newBlockingStub(vae), va));
        GrpcStageHealth health = new GrpcStageHealth(List.of(new GrpcStageHealth.Stage(te, textEncoder),
                new GrpcStageHealth.Stage(un, unet), new GrpcStageHealth.Stage(va, vae)), d.healthCheck());
        return new Pipeline(stages, health);
    }

    @Produces
    @Singleton
    GenerationLimiter generationLimiter(OrchestratorConfig config) {
        return new GenerationLimiter(config.maxConcurrent(), config.queueSize());
    }

    @Produces
    @Singleton
    GenerateRequests generateRequests(ModelRoots roots, OrchestratorConfig config) {
        return new GenerateRequests(roots, config.limits());
    }

    @Produces
    @Singleton
    ModelCatalog modelCatalog(ModelRoots roots, OrchestratorConfig config) {
        return new ModelCatalog(roots, new GrpcLoadedModels(DenoiserGrpc.newBlockingStub(unet),
                config.deadline().healthCheck()));
    }

    /** "unet" → unet-service at the configured host:port (or its replicas), for error messages. */
    private static StageEndpoint endpoint(String client, Duration deadline) {
        Config c = ConfigProvider.getConfig();
        String prefix = "quarkus.grpc.clients." + client + ".";
        String host = c.getOptionalValue(prefix + "host", String.class).orElse("localhost");
        // under @QuarkusTest, Quarkus connects to the client's test-port
        Optional<String> testPort = LaunchMode.current() == LaunchMode.TEST
                ? c.getOptionalValue(prefix + "test-port", String.class) : Optional.empty();
        String port = testPort.or(() -> c.getOptionalValue(prefix + "port", String.class)).orElse("9000");
        String resolver = c.getOptionalValue(prefix + "name-resolver", String.class).orElse("dns");
        String address = StaticNameResolverProvider.SCHEME.equals(resolver)
                ? String.join(", ", StaticNameResolverProvider.replicas(host, port)) : host + ":" + port;
        return new StageEndpoint(client + "-service", address, deadline);
    }
}
