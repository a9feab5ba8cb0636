package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.scheduler.SchedulerName;
import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.SdException;
import java.util.Optional;
import java.util.Set;

/**
 * The models under the roots, as ListModels reports them. Everything comes from the folders' JSON configs
 * and the UNet graph's declared input type, so listing loads no model; {@code loaded} comes from unet-service
 * (false for every model when it cannot be asked).
 */
public final class ModelCatalog {

    /** Which models unet-service holds now; empty when it cannot be asked. */
    public interface LoadedModels {
        Optional<Set<String>> loaded();
    }

    private final ModelRoots roots;
    private final LoadedModels loadedModels;

    public ModelCatalog(ModelRoots roots, LoadedModels loadedModels) {
        this.roots = roots;
        this.loadedModels = loadedModels;
    }

    public ListModelsResponse list() {
        ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
        Set<String> loaded = loadedModels.loaded().orElse(Set.of());
        for (ModelFolder m : roots.list().values()) out.addModels(info(m, loaded.contains(m.name())));
        try {
            out.setDefaultModel(roots.defaultModel());
        } catch (SdException e) {
            // no models at all: default_model stays empty
        }
        return out.build();
    }

    static ModelInfo info(ModelFolder m, boolean loaded) {
        int side = m.nativeSize();
        return ModelInfo.newBuilder().setName(m.name()).setKind(m.kind()).setDefaultScheduler(defaultScheduler(m))
                .setNativeHeight(side).setNativeWidth(side).setDtype(dtype(m)).setLoaded(loaded)
                .setRoot(m.root().getParent().toString()).build();
    }

    private static String defaultScheduler(ModelFolder m) {
        try {
            return SchedulerName.of(m.defaultScheduler(), m.schedulerConfig());
        } catch (SdException e) {
            return ""; // no scheduler_config.json: the folder serves only some stages
        }
    }

    private static String dtype(ModelFolder m) {
        if (!m.has(ModelFolder.Part.UNET)) return "";
        return OnnxInputDtype.of(m.onnx(ModelFolder.Part.UNET), "sample").orElse("unknown");
    }
}
