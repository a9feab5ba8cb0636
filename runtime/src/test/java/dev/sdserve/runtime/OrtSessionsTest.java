package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OrtSessionsTest {

    @Test
    void unavailableProviderFallsBackToCpu() {
        // The CPU build of ONNX Runtime has neither CUDA nor (on Linux) CoreML.
        for (ExecutionProvider ep : new ExecutionProvider[] {ExecutionProvider.CUDA, ExecutionProvider.COREML, ExecutionProvider.AUTO}) {
            try (OrtSessions.Loaded s = OrtSessions.open(SharedFixtures.tinyModel().resolve("vae_decoder/model.onnx"),
                    new RuntimeOptions(ep, 1, "all"))) {
                assertEquals(ExecutionProvider.CPU, s.provider(), ep.id());
                assertEquals(Map.of(), Map.of());
                assertTrue(s.session().getInputNames().contains("latent_sample"));
            }
        }
    }

    @Test
    void missingModelIsNotFound() {
        SdException e = assertThrows(SdException.class, () -> OrtSessions.open(java.nio.file.Path.of("/nonexistent/model.onnx"),
                RuntimeOptions.defaults()));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void unknownProviderNameIsRejected() {
        assertEquals(ExecutionProvider.COREML, ExecutionProvider.parse(" CoreML "));
        assertThrows(SdException.class, () -> ExecutionProvider.parse("tpu"));
    }
}
