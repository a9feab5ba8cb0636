package dev.sdserve.orchestrator.scheduler;

/** diffusers' {@code prediction_type}: what the UNet predicts. */
public enum PredictionType {
    /** The noise ε (SD 1.x). */
    EPSILON,
    /** v = α_t ε − σ_t x_0 (SD 2.x 768). */
    V_PREDICTION,
    /** The clean sample x_0 directly. */
    SAMPLE;

    /** Parses the config value; {@code allowed} lists what the calling scheduler implements. */
    static PredictionType parse(String value, String owner, PredictionType... allowed) {
        String[] names = new String[allowed.length];
        for (int i = 0; i < allowed.length; i++) {
            names[i] = allowed[i].name().toLowerCase(java.util.Locale.ROOT);
            if (names[i].equals(value)) return allowed[i];
        }
        SchedulerConfig.oneOf(value, "prediction_type", owner, names);
        throw new IllegalStateException();
    }
}
