package dev.sdserve.orchestrator;

import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.SdException;

/**
 * The models under the roots, as ListModels reports them. Everything comes from the folders' JSON configs
 * and the UNet graph's declared input type, so listing loads no model. {@code loaded} is always false: the
 * orchestrator cannot see unet-service's cache cheaply.
 */
public final class ModelCatalog {
    private final ModelRoots roots;

    public ModelCatalog(ModelRoots roots) {
        this.roots = roots;
    }

    public ListModelsResponse list() {
        ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
        for (ModelFolder m : roots.list().values()) out.addModels(info(m));
        try {
            out.setDefaultModel(roots.defaultModel());
        } catch (SdException e) {
            // no models at all: default_model stays empty
        }
        return out.build();
    }

    static ModelInfo info(ModelFolder m) {
        int side = m.nativeSize();
        return ModelInfo.newBuilder().setName(m.name()).setKind(m.kind()).setDefaultScheduler(defaultScheduler(m))
                .setNativeHeight(side).setNativeWidth(side).setDtype(dtype(m)).setLoaded(false)
                .setRoot(m.root().getParent().toString()).build();
    }

    private static String defaultScheduler(ModelFolder m) {
        try {
            return m.defaultScheduler();
        } catch (SdException e) {
            return ""; // no scheduler_config.json: the folder serves only some stages
        }
    }

    private static String dtype(ModelFolder m) {
        if (!m.has(ModelFolder.Part.UNET)) return "";
        return OnnxInputDtype.of(m.onnx(ModelFolder.Part.UNET), "sample").orElse("unknown");
    }
}
