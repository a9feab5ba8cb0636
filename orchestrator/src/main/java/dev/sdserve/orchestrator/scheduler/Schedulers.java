package dev.sdserve.orchestrator.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SdException;
import java.util.List;

/** Creates schedulers by name from a model's {@code scheduler_config.json}, as diffusers' {@code from_config}. */
public final class Schedulers {
    private Schedulers() {
    }

    /**
     * A scheduler for one generation.
     *
     * @param requested       "" for the config's own {@code _class_name}, a short name (see {@link #shortNames()}),
     *                        a diffusers class name, or either with {@code (use_karras_sigmas=True)}: see
     *                        {@link SchedulerName}
     * @param schedulerConfig the model's scheduler_config.json
     * @param steps           num_inference_steps
     * @param noiseSeed       the generation's seed, for schedulers that draw noise (Euler ancestral)
     * @throws SdException INVALID_ARGUMENT for an unknown name, bad steps or an unsupported config option (Karras
     *                     sigmas included)
     */
    public static Scheduler create(String requested, JsonNode schedulerConfig, int steps, long noiseSeed) {
        SchedulerName name = SchedulerName.parse(requested, schedulerConfig);
        SchedulerKind kind = name.kind();
        SchedulerConfig config = SchedulerConfig.resolve(name.configFor(schedulerConfig), kind.defaults());
        Scheduler scheduler = kind.create(config, steps, noiseSeed);
        requireTrainRange(scheduler, config, steps);
        return scheduler;
    }

    /**
     * Every timestep must index the training schedule, [0, num_train_timesteps). "leading" spacing adds
     * steps_offset after spreading the steps, so e.g. PNDM or DDIM with steps_offset=1 at 1000 steps ends at
     * t=1000, one past alphas_cumprod (diffusers would index out of range there).
     */
    private static void requireTrainRange(Scheduler scheduler, SchedulerConfig config, int steps) {
        int trainSteps = config.num_train_timesteps();
        for (double t : scheduler.timesteps()) {
            if (t < 0 || t >= trainSteps) {
                throw SdException.invalid("steps: " + steps + " steps give timestep " + (long) t + ", outside [0, "
                        + trainSteps + ") of num_train_timesteps with timestep_spacing '" + config.timestep_spacing()
                        + "' and steps_offset " + config.steps_offset() + "; use fewer steps");
            }
        }
    }

    /** The registry entry a request names ("" = the config's {@code _class_name}). */
    public static SchedulerKind kind(String requested, JsonNode schedulerConfig) {
        return SchedulerName.parse(requested, schedulerConfig).kind();
    }

    /** Short names for help text: pndm, ddim, euler, euler_a, dpmpp_2m, lms, euler_karras, dpmpp_2m_karras, lms_karras. */
    public static List<String> shortNames() {
        return SchedulerName.shortNames();
    }

    /**
     * img2img's first timestep index, as diffusers' get_timesteps: init_timestep = min(int(n · strength), n),
     * t_start = max(n − init_timestep, 0), begin index = t_start · order.
     */
    public static int beginIndex(int steps, double strength, int order) {
        SdException.require(strength >= 0 && strength <= 1, "strength: must be in [0, 1], got " + strength);
        int initTimestep = Math.min((int) (steps * strength), steps);
        int tStart = Math.max(steps - initTimestep, 0);
        return tStart * order;
    }
}
