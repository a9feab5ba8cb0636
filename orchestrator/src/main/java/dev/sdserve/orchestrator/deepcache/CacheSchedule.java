package dev.sdserve.orchestrator.deepcache;

/**
 * Decides which denoising steps run the full UNet. The step index i is DeepCacheSDHelper's: the index of the
 * first occurrence of t in the scheduler's timesteps, minus the same index of this generation's first call.
 */
public interface CacheSchedule {

    /** True when step index i runs the full UNet. Index 0 is always full. */
    boolean isFull(int i);

    default StepMode mode(int i) {
        return isFull(i) ? StepMode.FULL : StepMode.SHALLOW;
    }
}
