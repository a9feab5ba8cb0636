package dev.sdserve.forge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A forged model folder.
 *
 * @param dir        the folder written
 * @param dims       the sizes forged
 * @param parameters parameter count per part folder (text_encoder, unet, vae_encoder, vae_decoder)
 * @param bytes      bytes of ONNX graphs and weights written
 * @param elapsed    wall time of the forge
 */
public record ForgeResult(Path dir, ModelDims dims, Map<String, Long> parameters, long bytes, Duration elapsed) {
    public ForgeResult {
        parameters = Map.copyOf(parameters);
    }

    public long unetParameters() {
        return parameters.get(Forge.UNET);
    }
}
