package dev.sdserve.orchestrator.deepcache;

/** Which UNet graph a denoising step runs. */
public enum StepMode {
    /** The whole UNet; refreshes the cached deep feature. */
    FULL,
    /** DeepCache's shallow path on the cached feature. */
    SHALLOW
}
