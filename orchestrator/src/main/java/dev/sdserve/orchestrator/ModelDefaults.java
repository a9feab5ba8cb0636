package dev.sdserve.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SdException;

/**
 * What a model folder decides when a request leaves it unset, and the DeepCache branches its UNet has. The
 * folder's files decide, never its name: an SDXL folder whose scheduler is Euler a with "trailing" timestep
 * spacing (SDXL-Turbo's, distilled for 1-4 steps without guidance) runs 1 step at guidance 0; other SDXL folders
 * 50 steps at 5.0 (diffusers' StableDiffusionXLPipeline); SD 1.x/2.x 50 steps at 7.5.
 *
 * @param steps          steps when a request sends 0
 * @param guidance       guidance when a request sends none
 * @param cacheBranches  DeepCacheSDHelper's branches: 3 per up block (12 on SD 1.x/2.x, 9 on SDXL)
 */
public record ModelDefaults(int steps, double guidance, int cacheBranches) {
    public static final int STEPS = 50;
    public static final double GUIDANCE = 7.5;
    public static final double SDXL_GUIDANCE = 5.0;
    public static final int TURBO_STEPS = 1;
    public static final double TURBO_GUIDANCE = 0.0;

    public static ModelDefaults of(ModelFolder model) {
        boolean xl = model.isSdxl();
        int branches = 3 * model.unetUpBlocks();
        if (!xl) return new ModelDefaults(STEPS, GUIDANCE, branches);
        return isTurbo(model) ? new ModelDefaults(TURBO_STEPS, TURBO_GUIDANCE, branches)
                : new ModelDefaults(STEPS, SDXL_GUIDANCE, branches);
    }

    /** SDXL-Turbo's scheduler: EulerAncestralDiscreteScheduler with timestep_spacing "trailing". */
    static boolean isTurbo(ModelFolder model) {
        JsonNode config;
        try {
            config = model.schedulerConfig();
        } catch (SdException e) {
            return false; // no scheduler_config.json: the request must name a scheduler anyway
        }
        return "EulerAncestralDiscreteScheduler".equals(config.path("_class_name").asText())
                && "trailing".equals(config.path("timestep_spacing").asText());
    }
}
