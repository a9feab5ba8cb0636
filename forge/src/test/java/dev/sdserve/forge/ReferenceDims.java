package dev.sdserve.forge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The exact sizes of ../shared/models/tiny-sd15 and tiny-sdxl (fixtures README, "How the models were made"). */
final class ReferenceDims {
    static final ModelDims TINY_SD15 = new ModelDims("sd15",
            new ModelDims.Unet(new int[] {32, 64, 64, 64}, 2, new int[] {8, 8, 8, 8}, 32, false, false, 32),
            new ModelDims.Text(49408, 32, 2, 4, 64, false, 49406, 49407, 49407),
            new ModelDims.Vae(new int[] {32, 32, 64, 64}, 1, 0.18215));

    /** manifest-sdxl.json "configs": UNet (32, 64, 64), two width-32 CLIP text models of 3 layers, tiny VAE. */
    static final ModelDims TINY_SDXL = new ModelDims("sdxl",
            new ModelDims.Unet(new int[] {32, 64, 64}, 2, new int[] {2, 4, 4}, new int[] {0, 1, 2}, 64, true, true,
                    32, Optional.of(new ModelDims.TextTime(8, 32))),
            List.of(new ModelDims.Text(49408, 32, 3, 4, 64, false, 49406, 49407, 49407, ModelDims.TextIo.SDXL),
                    new ModelDims.Text(49408, 32, 3, 4, 64, true, 49406, 49407, 0, ModelDims.TextIo.SDXL_PROJECTED)),
            new ModelDims.Vae(new int[] {32, 32, 64, 64}, 1, 0.13025, true));

    /** ../shared/models/tiny-sdxl (skips the test when ../shared is absent). */
    static Path tinySdxl() {
        return SharedFixtures.modelsRoot().resolve("tiny-sdxl");
    }

    /** ../shared/fixtures/manifest-sdxl.json. */
    static JsonNode sdxlManifest() {
        SharedFixtures.assume();
        return SharedFixtures.json(SharedFixtures.dir().resolve("fixtures").resolve("manifest-sdxl.json"));
    }

    private ReferenceDims() {
    }
}
