package dev.sdserve.orchestrator.scheduler;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * The resolved {@code scheduler_config.json} of one scheduler class. Components are named exactly as the JSON
 * keys (diffusers' {@code @register_to_config} names), so the file maps onto the record without a table.
 *
 * <p>{@link #resolve} mirrors diffusers' {@code XScheduler.from_config(other.config)}: a key present in the file
 * wins; a key absent from the file takes the target class's own default (e.g. {@code timestep_spacing} is
 * 'leading' for PNDM/DDIM but 'linspace' for Euler). Keys a class does not know are carried but ignored by it,
 * as diffusers ignores them. Each scheduler checks the options it knows and rejects unsupported values by name.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SchedulerConfig(
        int num_train_timesteps,
        double beta_start,
        double beta_end,
        String beta_schedule,
        double[] trained_betas,
        String prediction_type,
        String timestep_spacing,
        int steps_offset,
        boolean set_alpha_to_one,
        boolean skip_prk_steps,
        boolean clip_sample,
        double clip_sample_range,
        boolean thresholding,
        boolean rescale_betas_zero_snr,
        String interpolation_type,
        boolean use_karras_sigmas,
        boolean use_exponential_sigmas,
        boolean use_beta_sigmas,
        boolean use_lu_lambdas,
        boolean use_flow_sigmas,
        boolean use_dynamic_shifting,
        Double sigma_min,
        Double sigma_max,
        String timestep_type,
        String final_sigmas_type,
        int solver_order,
        String algorithm_type,
        String solver_type,
        boolean lower_order_final,
        boolean euler_at_final,
        double lambda_min_clipped,
        String variance_type) {

    /** diffusers' defaults shared by every class here (each class overrides some in {@link SchedulerKind}). */
    static final Map<String, Object> COMMON_DEFAULTS = commonDefaults();

    /**
     * Resolves a model's config for one scheduler class: file keys first, then {@code classDefaults}, then the
     * common defaults. Bad JSON types are reported as INVALID_ARGUMENT naming the key.
     */
    public static SchedulerConfig resolve(JsonNode file, Map<String, Object> classDefaults) {
        ObjectNode merged = Json.MAPPER.valueToTree(COMMON_DEFAULTS);
        merged.setAll((ObjectNode) Json.MAPPER.valueToTree(classDefaults));
        if (file != null && file.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = file.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (merged.has(e.getKey())) merged.set(e.getKey(), e.getValue());
            }
        }
        try {
            return Json.MAPPER.treeToValue(merged, SchedulerConfig.class);
        } catch (JsonMappingException e) {
            String key = e.getPath().isEmpty() ? "?" : e.getPath().get(e.getPath().size() - 1).getFieldName();
            throw SdException.invalid("scheduler config: bad value for " + key + ": " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw SdException.invalid("scheduler config: " + e.getOriginalMessage());
        }
    }

    /** Throws INVALID_ARGUMENT "scheduler config: key=value is not supported by owner" unless ok. */
    static void supported(boolean ok, String key, Object value, String owner) {
        SdException.require(ok, "scheduler config: " + key + "=" + value + " is not supported by " + owner);
    }

    /** Rejects a boolean option that this port does not implement, when it is switched on. */
    static void off(boolean flag, String key, String owner) {
        supported(!flag, key, true, owner);
    }

    /** Rejects any value of a string option other than the ones listed. */
    static void oneOf(String value, String key, String owner, String... allowed) {
        for (String a : allowed) {
            if (Objects.equals(a, value)) return;
        }
        SdException.require(false, "scheduler config: " + key + "='" + value + "' is not supported by " + owner
                + "; expected one of " + String.join(", ", allowed));
    }

    /** Checks the fields every class uses: train steps and betas. */
    void requireValidBase(String owner) {
        SdException.require(num_train_timesteps >= 2, "scheduler config: num_train_timesteps must be >= 2, got "
                + num_train_timesteps);
        if (trained_betas == null) {
            oneOf(beta_schedule, "beta_schedule", owner, "linear", "scaled_linear", "squaredcos_cap_v2");
        }
    }

    private static Map<String, Object> commonDefaults() {
        Map<String, Object> m = new HashMap<>();
        m.put("num_train_timesteps", 1000);
        m.put("beta_start", 0.0001);
        m.put("beta_end", 0.02);
        m.put("beta_schedule", "linear");
        m.put("trained_betas", null);
        m.put("prediction_type", "epsilon");
        m.put("timestep_spacing", "leading");
        m.put("steps_offset", 0);
        m.put("set_alpha_to_one", true);
        m.put("skip_prk_steps", false);
        m.put("clip_sample", true);
        m.put("clip_sample_range", 1.0);
        m.put("thresholding", false);
        m.put("rescale_betas_zero_snr", false);
        m.put("interpolation_type", "linear");
        m.put("use_karras_sigmas", false);
        m.put("use_exponential_sigmas", false);
        m.put("use_beta_sigmas", false);
        m.put("use_lu_lambdas", false);
        m.put("use_flow_sigmas", false);
        m.put("use_dynamic_shifting", false);
        m.put("sigma_min", null);
        m.put("sigma_max", null);
        m.put("timestep_type", "discrete");
        m.put("final_sigmas_type", "zero");
        m.put("solver_order", 2);
        m.put("algorithm_type", "dpmsolver++");
        m.put("solver_type", "midpoint");
        m.put("lower_order_final", true);
        m.put("euler_at_final", false);
        m.put("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        m.put("variance_type", null);
        return Map.copyOf(withNulls(m));
    }

    /** Map.copyOf rejects null values; store JSON null markers instead. */
    private static Map<String, Object> withNulls(Map<String, Object> m) {
        m.replaceAll((k, v) -> v == null ? Json.MAPPER.nullNode() : v);
        return m;
    }
}
