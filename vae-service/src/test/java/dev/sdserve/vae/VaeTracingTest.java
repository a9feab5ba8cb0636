package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.RecordedSpans;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The VAE's spans: vae_decode and vae_encode with model, EP and batch; a rejected input marks an error. */
class VaeTracingTest {
    private static VaeStage vae;
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final VaeTracing tracing = new VaeTracing(RecordedSpans.tracer(exporter));

    @BeforeAll
    static void load() {
        SharedFixtures.assume();
        vae = VaeStage.load(ModelFolder.open("tiny-sd15", SharedFixtures.tinyModel()), RuntimeOptions.defaults(),
                VaeLimits.defaults());
    }

    @AfterAll
    static void close() {
        if (vae != null) vae.close();
    }

    @Test
    void decodeAndEncodeAreOneSpanEach() {
        FloatTensor latents = FloatTensor.zeros(2, 4, 8, 8);
        DecodedImages decoded = tracing.decode(vae, latents, 1);
        assertArrayEquals(vae.decode(latents, 1).rgb().get(1).rgb(), decoded.rgb().get(1).rgb(), "tracing changes nothing");
        tracing.encode(vae, FloatTensor.zeros(1, 3, 64, 64));

        RecordedSpans spans = new RecordedSpans(exporter.getFinishedSpanItems());
        SpanData decode = spans.one(Tracing.VAE_DECODE);
        SpanData encode = spans.one(Tracing.VAE_ENCODE);
        assertEquals(2L, decode.getAttributes().get(Tracing.BATCH));
        assertEquals(1L, decode.getAttributes().get(AttributeKey.longKey("sd.decoding_batch_size")));
        assertEquals(1L, encode.getAttributes().get(Tracing.BATCH));
        for (SpanData s : spans.all()) {
            assertEquals("tiny-sd15", s.getAttributes().get(Tracing.MODEL));
            assertEquals("cpu", s.getAttributes().get(Tracing.EP));
            assertEquals(StatusCode.UNSET, s.getStatus().getStatusCode());
        }
    }

    @Test
    void rejectedLatentsEndTheSpanWithAnError() {
        assertThrows(SdException.class, () -> tracing.decode(vae, FloatTensor.zeros(1, 3, 8, 8), 1));
        SpanData decode = new RecordedSpans(exporter.getFinishedSpanItems()).one(Tracing.VAE_DECODE);
        assertEquals(StatusCode.ERROR, decode.getStatus().getStatusCode());
    }
}
