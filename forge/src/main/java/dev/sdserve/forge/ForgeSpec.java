package dev.sdserve.forge;

/**
 * What to forge: a preset ("sd15" or "sd21"), a width scale (1.0 = the real Stable Diffusion sizes) and the
 * weight seed. Validation happens in {@link #dims()}: INVALID_ARGUMENT naming the field.
 */
public record ForgeSpec(String preset, double scale, long seed) {

    /** The sizes this spec forges; see {@link Presets} for the scaling rules. */
    public ModelDims dims() {
        return Presets.dims(preset, scale);
    }
}
