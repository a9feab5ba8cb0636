package dev.sdserve.forge;

/** The exact sizes of ../shared/models/tiny-sd15 (fixtures README, "How the models were made"). */
final class ReferenceDims {
    static final ModelDims TINY_SD15 = new ModelDims("sd15",
            new ModelDims.Unet(new int[] {32, 64, 64, 64}, 2, new int[] {8, 8, 8, 8}, 32, false, false, 32),
            new ModelDims.Text(49408, 32, 2, 4, 64, false, 49406, 49407, 49407),
            new ModelDims.Vae(new int[] {32, 32, 64, 64}, 1, 0.18215));

    private ReferenceDims() {
    }
}
