package dev.sdserve.runtime;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON reading for model configs. Accepts NaN/Infinity literals, which some exporters write. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Json() {
    }

    public static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw SdException.notFound("missing file " + file);
        }
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot parse JSON " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a number that may be written as a string ("Infinity", "NaN"), as the fixtures do. */
    public static double number(JsonNode node, double fallback) {
        if (node == null || node.isNull() || node.isMissingNode()) return fallback;
        if (node.isNumber()) return node.doubleValue();
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "Infinity", "inf" -> Double.POSITIVE_INFINITY;
                case "-Infinity", "-inf" -> Double.NEGATIVE_INFINITY;
                case "NaN", "nan" -> Double.NaN;
                default -> Double.parseDouble(node.asText());
            };
        }
        return fallback;
    }
}
