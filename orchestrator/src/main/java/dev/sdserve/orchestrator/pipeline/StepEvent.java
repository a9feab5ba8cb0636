package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.deepcache.StepMode;

/**
 * Progress of one UNet call.
 *
 * @param index    0-based call index of this generation
 * @param total    UNet calls of this generation
 * @param mode     the graph that ran (a SHALLOW request whose feature was gone reports FULL)
 * @param cacheHit SHALLOW only: the cached feature was used
 * @param ms       wall time of the step on the orchestrator (UNet round trip + scheduler)
 * @param timestep the scheduler timestep t
 * @param migrations UNet session migrations this step needed (a replica was lost); usually 0
 */
public record StepEvent(int index, int total, StepMode mode, boolean cacheHit, double ms, double timestep,
                        int migrations) {
    public StepEvent(int index, int total, StepMode mode, boolean cacheHit, double ms, double timestep) {
        this(index, total, mode, cacheHit, ms, timestep, 0);
    }
}
