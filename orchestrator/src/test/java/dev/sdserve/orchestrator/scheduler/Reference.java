package dev.sdserve.orchestrator.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Json;

/**
 * Independent double-precision reference math for the unit tests: SD 1.5's scaled_linear schedule written
 * straight from its definition, plus small tensors and an inline SD 1.5 scheduler config.
 */
final class Reference {
    private Reference() {
    }

    /** SD 1.5's scheduler_config.json (what the model folder holds), for tests that run without ../shared. */
    static ObjectNode sd15Config() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("_class_name", "PNDMScheduler");
        c.put("beta_start", 0.00085);
        c.put("beta_end", 0.012);
        c.put("beta_schedule", "scaled_linear");
        c.put("clip_sample", false);
        c.put("num_train_timesteps", 1000);
        c.put("prediction_type", "epsilon");
        c.put("set_alpha_to_one", false);
        c.put("skip_prk_steps", true);
        c.put("steps_offset", 1);
        c.putNull("trained_betas");
        return c;
    }

    static ObjectNode sd15With(String key, JsonNode value) {
        ObjectNode c = sd15Config();
        c.set(key, value);
        return c;
    }

    /** ᾱ_t = Π_{s≤t} (1 − β_s), β_s = (sqrt(0.00085) + s·(sqrt(0.012) − sqrt(0.00085))/999)², in double. */
    static double alphaBar(int t) {
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        double prod = 1;
        for (int s = 0; s <= t; s++) {
            double beta = Math.pow(a + s * (b - a) / 999, 2);
            prod *= 1 - beta;
        }
        return prod;
    }

    /** σ at an integer train timestep: sqrt((1 − ᾱ)/ᾱ). */
    static double sigma(int t) {
        double ab = alphaBar(t);
        return Math.sqrt((1 - ab) / ab);
    }

    /** A deterministic [1,4,2,2] tensor with values in about [-2, 2]. */
    static FloatTensor tensor(double phase) {
        float[] v = new float[16];
        for (int i = 0; i < v.length; i++) v[i] = (float) (2 * Math.sin(1.3 * i + phase));
        return FloatTensor.of(new long[] {1, 4, 2, 2}, v);
    }
}
