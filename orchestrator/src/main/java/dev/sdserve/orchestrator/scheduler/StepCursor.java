package dev.sdserve.orchestrator.scheduler;

/**
 * The step index of sigma-based schedulers (diffusers' {@code _step_index} / {@code _begin_index}): the position
 * in the sigma table of the current call. It starts at the begin index (img2img) or, without one, at the index
 * of the first call's timestep (the second occurrence when it repeats, as diffusers' index_for_timestep), and
 * moves by one per {@code step}.
 */
final class StepCursor {
    private final double[] timesteps;
    private int beginIndex = -1;
    private int stepIndex = -1;

    StepCursor(double[] timesteps) {
        this.timesteps = timesteps;
    }

    void setBeginIndex(int index) {
        checkBeginIndex(index, timesteps.length);
        beginIndex = index;
    }

    /** A begin index must name one of the calls. */
    static void checkBeginIndex(int index, int calls) {
        if (index < 0 || index >= calls) {
            throw new IllegalArgumentException("begin index " + index + " outside [0, " + calls + ")");
        }
    }

    /** The current index, initialising it from t on the first call. */
    int current(double t) {
        if (stepIndex < 0) stepIndex = beginIndex >= 0 ? beginIndex : indexForTimestep(t);
        return stepIndex;
    }

    void advance() {
        stepIndex++;
    }

    /** The index add_noise uses at t: begin index before the first step, the step index after, else t's index. */
    int noiseIndex(double t) {
        if (beginIndex < 0) return indexForTimestep(t);
        return stepIndex >= 0 ? stepIndex : beginIndex;
    }

    private int indexForTimestep(double t) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                if (first >= 0) return i;
                first = i;
            }
        }
        if (first < 0) throw new IllegalArgumentException("timestep " + t + " is not in this schedule");
        return first;
    }
}
