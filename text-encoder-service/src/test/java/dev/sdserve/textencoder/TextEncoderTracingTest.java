package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.RecordedSpans;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The text encoder's spans: text_encode with a tokenize child, attributes, and failures marked as errors. */
class TextEncoderTracingTest {
    private static TextEncoderStage stage;
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final TextEncoderTracing tracing = new TextEncoderTracing(RecordedSpans.tracer(exporter));

    @BeforeAll
    static void open() {
        stage = TextEncoderStageTest.openTiny();
    }

    @AfterAll
    static void close() {
        if (stage != null) stage.close();
    }

    @Test
    void encodeIsOneTextEncodeSpanHoldingTheTokenizeSpan() {
        List<String> prompts = List.of("", "a red apple");
        FloatTensor traced = tracing.encode(stage, prompts).lastHiddenState();
        assertEquals(0, traced.maxAbsDiff(stage.encode(prompts).lastHiddenState()), "tracing changes nothing");

        RecordedSpans spans = new RecordedSpans(exporter.getFinishedSpanItems());
        SpanData encode = spans.one(Tracing.TEXT_ENCODE);
        SpanData tokenize = spans.one(Tracing.TOKENIZE);
        assertEquals(encode.getSpanId(), tokenize.getParentSpanId());
        assertEquals(encode.getTraceId(), tokenize.getTraceId());
        assertTrue(tokenize.getEndEpochNanos() <= encode.getEndEpochNanos());
        for (SpanData s : List.of(encode, tokenize)) {
            assertEquals("tiny-sd15", s.getAttributes().get(Tracing.MODEL));
            assertEquals("cpu", s.getAttributes().get(Tracing.EP));
            assertEquals(2L, s.getAttributes().get(Tracing.BATCH));
        }
    }

    @Test
    void aRejectedRequestEndsItsSpansWithAnError() {
        assertThrows(SdException.class, () -> tracing.encode(stage, List.of()));
        RecordedSpans spans = new RecordedSpans(exporter.getFinishedSpanItems());
        assertEquals(StatusCode.ERROR, spans.one(Tracing.TEXT_ENCODE).getStatus().getStatusCode());
        assertEquals(StatusCode.ERROR, spans.one(Tracing.TOKENIZE).getStatus().getStatusCode());
    }
}
