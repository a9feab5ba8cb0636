package dev.sdserve.orchestrator.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a request's {@code scheduler} string names: a registry entry and, where the name fixes it, whether its σ
 * follow Karras et al. ({@code use_karras_sigmas}). The forms:
 *
 * <ul>
 *   <li>"" — the model's {@code scheduler_config.json} as it is (its {@code _class_name} and its flag);</li>
 *   <li>a short name — fixes the flag where the class has it: {@code euler}, {@code lms}, {@code dpmpp_2m} plain,
 *       {@code euler_karras}, {@code lms_karras}, {@code dpmpp_2m_karras} Karras (A1111's "Euler", "DPM++ 2M
 *       Karras", ...);</li>
 *   <li>a diffusers class name — the flag comes from the model's config, as diffusers' {@code from_config};</li>
 *   <li>a class (or short) name with the flag: {@code DPMSolverMultistepScheduler(use_karras_sigmas=True)}.</li>
 * </ul>
 *
 * @param kind   the registry entry
 * @param karras the flag the name fixes; empty when the model's config decides
 */
public record SchedulerName(SchedulerKind kind, Optional<Boolean> karras) {
    private static final String KARRAS_SUFFIX = "_karras";
    private static final Pattern WITH_OPTION = Pattern.compile("^\\s*([A-Za-z0-9_]+)\\s*\\((.*)\\)\\s*$");
    private static final Pattern KARRAS_OPTION = Pattern.compile("^\\s*use_karras_sigmas\\s*=\\s*(true|false)\\s*$",
            Pattern.CASE_INSENSITIVE);

    /**
     * Parses a request's name ("" = the config's {@code _class_name}).
     *
     * @throws SdException INVALID_ARGUMENT naming {@code scheduler} for an unknown name or option
     */
    public static SchedulerName parse(String requested, JsonNode schedulerConfig) {
        String name = requested == null ? "" : requested.trim();
        if (name.isEmpty()) return new SchedulerName(configKind(schedulerConfig, true), Optional.empty());
        Matcher m = WITH_OPTION.matcher(name);
        if (m.matches()) {
            Matcher option = KARRAS_OPTION.matcher(m.group(2));
            SdException.require(option.matches(), "scheduler: '" + name + "': the one option a name can set is "
                    + KarrasSigmas.KEY + "=True or =False");
            SchedulerName base = plain(m.group(1));
            return new SchedulerName(base.kind, Optional.of(Boolean.parseBoolean(option.group(1).toLowerCase(Locale.ROOT))));
        }
        return plain(name);
    }

    /** A short or class name without an option. */
    private static SchedulerName plain(String name) {
        for (SchedulerKind k : SchedulerKind.values()) {
            if (k.className().equalsIgnoreCase(name)) return new SchedulerName(k, Optional.empty());
            if (k.shortName().equalsIgnoreCase(name)) {
                return new SchedulerName(k, k.hasKarrasOption() ? Optional.of(false) : Optional.empty());
            }
            if (k.hasKarrasOption() && (k.shortName() + KARRAS_SUFFIX).equalsIgnoreCase(name)) {
                return new SchedulerName(k, Optional.of(true));
            }
        }
        throw SdException.invalid("scheduler: unknown '" + name + "'; expected one of " + String.join(", ", shortNames())
                + " or a diffusers class name (" + classNames() + "), optionally with (" + KarrasSigmas.KEY + "=True)");
    }

    /**
     * The model's config as this scheduler sees it: {@code use_karras_sigmas} set where the name fixes it.
     *
     * @throws SdException INVALID_ARGUMENT naming the scheduler and the key when Karras sigmas are asked of a class
     *                     that has no such option, by the name or by the model's own config for its own class (a
     *                     flag in another class's config is ignored, as diffusers' from_config ignores it)
     */
    JsonNode configFor(JsonNode schedulerConfig) {
        boolean configAsks = schedulerConfig != null && schedulerConfig.path(KarrasSigmas.KEY).asBoolean(false);
        if (!kind.hasKarrasOption()) {
            SdException.require(!karras.orElse(false), "scheduler: " + kind.className() + " has no "
                    + KarrasSigmas.KEY + " option; Karras sigmas: " + String.join(", ", karrasNames()));
            SdException.require(!(configAsks && configKind(schedulerConfig, false) == kind), "scheduler config: "
                    + KarrasSigmas.KEY + "=true is not supported by " + kind.className() + "; Karras sigmas: "
                    + String.join(", ", karrasNames()));
            return schedulerConfig;
        }
        if (karras.isEmpty()) return schedulerConfig;
        ObjectNode copy = schedulerConfig != null && schedulerConfig.isObject()
                ? ((ObjectNode) schedulerConfig).deepCopy() : Json.MAPPER.createObjectNode();
        copy.put(KarrasSigmas.KEY, karras.get());
        return copy;
    }

    /**
     * The name a client can send back for a model's configured scheduler, as ListModels reports it: the class name,
     * with {@code (use_karras_sigmas=True)} when the config asks for Karras sigmas.
     */
    public static String of(String className, JsonNode schedulerConfig) {
        boolean karras = schedulerConfig != null && schedulerConfig.path(KarrasSigmas.KEY).asBoolean(false);
        return karras ? className + "(" + KarrasSigmas.KEY + "=True)" : className;
    }

    /** Every short name: pndm, ddim, euler, euler_a, dpmpp_2m, lms, then the Karras ones. */
    public static List<String> shortNames() {
        List<String> out = new ArrayList<>();
        for (SchedulerKind k : SchedulerKind.values()) out.add(k.shortName());
        out.addAll(karrasNames());
        return out;
    }

    private static List<String> karrasNames() {
        List<String> out = new ArrayList<>();
        for (SchedulerKind k : SchedulerKind.values()) {
            if (k.hasKarrasOption()) out.add(k.shortName() + KARRAS_SUFFIX);
        }
        return out;
    }

    private static String classNames() {
        List<String> out = new ArrayList<>();
        for (SchedulerKind k : SchedulerKind.values()) out.add(k.className());
        return String.join(", ", out);
    }

    /** The registry entry of the config's {@code _class_name}; null when unknown and not {@code required}. */
    private static SchedulerKind configKind(JsonNode schedulerConfig, boolean required) {
        JsonNode cls = schedulerConfig == null ? null : schedulerConfig.get("_class_name");
        if (!required) return cls == null ? null : SchedulerKind.find(cls.asText());
        SdException.require(cls != null && cls.isTextual(),
                "scheduler: none requested and scheduler_config.json has no _class_name");
        return plain(cls.asText()).kind;
    }
}
