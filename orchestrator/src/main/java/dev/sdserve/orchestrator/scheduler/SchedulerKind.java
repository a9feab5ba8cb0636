package dev.sdserve.orchestrator.scheduler;

import java.util.Map;

/**
 * The registry of schedulers, keyed by diffusers' {@code _class_name} and a short CLI name. Each constant carries
 * its class's own config defaults (what diffusers' {@code from_config} fills in for keys absent from the file)
 * and a factory.
 */
public enum SchedulerKind {
    PNDM("pndm", PndmScheduler.NAME, Map.of("set_alpha_to_one", false, "timestep_spacing", "leading")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new PndmScheduler(c, steps);
        }
    },
    DDIM("ddim", DdimScheduler.NAME, Map.of("set_alpha_to_one", true, "clip_sample", true,
            "timestep_spacing", "leading")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new DdimScheduler(c, steps);
        }
    },
    EULER("euler", EulerDiscreteScheduler.NAME, Map.of("timestep_spacing", "linspace")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new EulerDiscreteScheduler(c, steps);
        }
    },
    EULER_A("euler_a", EulerAncestralScheduler.NAME, Map.of("timestep_spacing", "linspace")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new EulerAncestralScheduler(c, steps, noiseSeed);
        }
    },
    DPMPP_2M("dpmpp_2m", DpmSolverMultistepScheduler.NAME, Map.of("timestep_spacing", "linspace")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new DpmSolverMultistepScheduler(c, steps);
        }
    },
    LMS("lms", LmsScheduler.NAME, Map.of("timestep_spacing", "linspace")) {
        @Override
        Scheduler create(SchedulerConfig c, int steps, long noiseSeed) {
            return new LmsScheduler(c, steps);
        }
    };

    private final String shortName;
    private final String className;
    private final Map<String, Object> defaults;

    SchedulerKind(String shortName, String className, Map<String, Object> defaults) {
        this.shortName = shortName;
        this.className = className;
        this.defaults = defaults;
    }

    public String shortName() {
        return shortName;
    }

    /** diffusers' class name, as in scheduler_config.json's {@code _class_name}. */
    public String className() {
        return className;
    }

    /** This class's defaults that differ from {@link SchedulerConfig#COMMON_DEFAULTS}. */
    Map<String, Object> defaults() {
        return defaults;
    }

    abstract Scheduler create(SchedulerConfig c, int steps, long noiseSeed);

    /** Whether diffusers' class has {@code use_karras_sigmas} (Euler, DPM++ and LMS do; PNDM, DDIM, Euler a don't). */
    public boolean hasKarrasOption() {
        return this == EULER || this == DPMPP_2M || this == LMS;
    }

    /** Matches a short name or a class name, case-insensitively; null when none matches. */
    static SchedulerKind find(String name) {
        for (SchedulerKind k : values()) {
            if (k.shortName.equalsIgnoreCase(name) || k.className.equalsIgnoreCase(name)) return k;
        }
        return null;
    }
}
