package dev.sdserve.orchestrator.pipeline;

/**
 * A check that every stage service is up, run before a generation starts its work, so a stage that is down
 * fails the generation at once (UNAVAILABLE naming the stage) instead of after the text encoder and the
 * denoising loop have run.
 */
public interface StageHealth {
    /** In-process stages are always up. */
    StageHealth ALWAYS_SERVING = () -> { };

    /** Returns when every stage answers SERVING; throws UNAVAILABLE naming the first stage that does not. */
    void requireServing();
}
