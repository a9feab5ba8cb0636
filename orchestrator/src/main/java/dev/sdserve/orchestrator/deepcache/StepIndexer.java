package dev.sdserve.orchestrator.deepcache;

/**
 * DeepCacheSDHelper's step index: for a UNet call at timestep t, {@code i = timesteps.index(t) − i0}, where
 * {@code index} is the first position of t (so PNDM's repeated second timestep gives the same i twice) and i0 is
 * the same index of the generation's first call (0 for text-to-image, the begin index's for img2img).
 */
public final class StepIndexer {
    private final double[] timesteps;
    private int firstIndex = -1;

    /** i0 is taken from the first call to {@link #indexOf}. */
    public StepIndexer(double[] timesteps) {
        this.timesteps = timesteps.clone();
    }

    /** i0 is the first position of {@code timesteps[beginIndex]}. */
    public StepIndexer(double[] timesteps, int beginIndex) {
        this(timesteps);
        if (beginIndex < 0 || beginIndex >= timesteps.length) {
            throw new IllegalArgumentException("begin index " + beginIndex + " outside [0, " + timesteps.length + ")");
        }
        this.firstIndex = firstPosition(timesteps[beginIndex]);
    }

    /** The DeepCache step index of a call at t. */
    public int indexOf(double t) {
        int position = firstPosition(t);
        if (firstIndex < 0) firstIndex = position;
        return position - firstIndex;
    }

    private int firstPosition(double t) {
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) return i;
        }
        throw new IllegalArgumentException("timestep " + t + " is not in the scheduler's timesteps");
    }
}
