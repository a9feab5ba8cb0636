package dev.sdserve.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** CDI producers for the shared runtime objects, so every service reads config the same way. */
@ApplicationScoped
public class RuntimeProducers {
    private static final Logger LOG = Logger.getLogger(RuntimeProducers.class);

    @Produces
    @Singleton
    public ModelRoots modelRoots(SdConfig.Models config) {
        ModelRoots roots = ModelRoots.fromConfig(config.roots(), config.defaultModel().orElse(""));
        LOG.infof("models roots: %s%s", roots.roots(),
                System.getenv(ModelRoots.ENV) != null ? " (from " + ModelRoots.ENV + ")" : "");
        return roots;
    }

    @Produces
    @Singleton
    public RuntimeOptions runtimeOptions(SdConfig.Runtime config) {
        return new RuntimeOptions(ExecutionProvider.parse(config.executionProvider()), config.intraOpThreads(),
                config.optimizationLevel(), config.allowSpinning(), config.cudaDeviceId(),
                RuntimeOptions.coremlFlags(config.coremlFlags().orElse("")),
                config.profileDir().filter(d -> !d.isBlank()).map(java.nio.file.Path::of));
    }
}
