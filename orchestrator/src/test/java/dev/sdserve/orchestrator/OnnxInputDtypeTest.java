package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import dev.sdserve.runtime.LogCapture;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The cheap protobuf scan agrees with ONNX Runtime's own view of the graph inputs. */
class OnnxInputDtypeTest {

    @Test
    void anUnreadableFileIsWarnedOnceWithItsPath(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path broken = dir.resolve("model.onnx");
        Files.write(broken, new byte[] {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2});
        try (LogCapture log = LogCapture.of(OnnxInputDtype.class)) {
            assertTrue(OnnxInputDtype.of(broken, "sample").isEmpty());
            assertTrue(OnnxInputDtype.of(broken, "sample").isEmpty());
            assertEquals(1, log.records().size(), log.messages().toString());
            assertEquals(java.util.logging.Level.WARNING.intValue() <= log.records().get(0).getLevel().intValue(), true);
            assertTrue(log.messages().get(0).contains(broken.toString()), log.messages().toString());
        }
    }

    @Test
    void agreesWithOnnxRuntime() {
        SharedFixtures.assume();
        ModelFolder m = ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel());
        for (ModelFolder.Part part : ModelFolder.Part.values()) {
            if (!m.has(part)) continue; // text_encoder_2/ is SDXL's
            Path onnx = m.onnx(part);
            try (OrtSessions.Loaded s = OrtSessions.open(onnx, RuntimeOptions.defaults())) {
                for (String input : s.session().getInputNames()) {
                    OnnxJavaType ort = TensorCodec.inputType(s.session(), input);
                    String expected = switch (ort) {
                        case FLOAT -> "float32";
                        case FLOAT16 -> "float16";
                        case INT32 -> "onnx-type-6";
                        case INT64 -> "onnx-type-7";
                        default -> ort.toString();
                    };
                    assertEquals(expected, OnnxInputDtype.of(onnx, input).orElseThrow(), part + " " + input);
                }
            }
        }
    }

    @Test
    void unreadableOrMissingGivesEmpty() throws Exception {
        Path junk = Files.createTempFile("junk", ".onnx");
        Files.writeString(junk, "not a protobuf at all");
        assertTrue(OnnxInputDtype.of(junk, "sample").isEmpty());
        assertTrue(OnnxInputDtype.of(junk.resolveSibling("missing.onnx"), "sample").isEmpty());
        Files.delete(junk);
    }
}
