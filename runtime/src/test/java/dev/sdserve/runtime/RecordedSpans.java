package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finished spans of one trace, for the services' tracing tests: lookups by name and ancestry checks through
 * parent span ids. {@link #tracer} gives plain (non-Quarkus) tests an SDK tracer that exports at once.
 */
public final class RecordedSpans {
    private final List<SpanData> spans;
    private final Map<String, SpanData> byId = new HashMap<>();

    public RecordedSpans(List<SpanData> spans) {
        this.spans = List.copyOf(spans);
        for (SpanData s : spans) byId.put(s.getSpanId(), s);
    }

    /** A tracer whose ended spans land in {@code exporter} synchronously. */
    public static Tracer tracer(InMemorySpanExporter exporter) {
        return SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()
                .get(Tracing.SCOPE);
    }

    /**
     * Waits (the services export in batches) until the spans of {@code traceId} (null: all) satisfy
     * {@code done}, and returns them; fails after {@code timeoutMs}.
     */
    public static RecordedSpans await(InMemorySpanExporter exporter, String traceId,
                                      Predicate<RecordedSpans> done, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            RecordedSpans trace = new RecordedSpans(exporter.getFinishedSpanItems().stream()
                    .filter(s -> traceId == null || s.getTraceId().equals(traceId)).toList());
            if (done.test(trace)) return trace;
            if (System.currentTimeMillis() > deadline) {
                return fail("trace " + traceId + " incomplete after " + timeoutMs + " ms: " + trace);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail("interrupted");
            }
        }
    }

    /** Waits until a span matching {@code which} has been exported, and returns it; fails after {@code timeoutMs}. */
    public static SpanData awaitSpan(InMemorySpanExporter exporter, Predicate<SpanData> which, long timeoutMs) {
        SpanData[] found = new SpanData[1];
        await(exporter, null, t -> (found[0] = t.spans.stream().filter(which).findFirst().orElse(null)) != null, timeoutMs);
        return found[0];
    }

    public List<SpanData> all() {
        return spans;
    }

    /** The spans named {@code name}, ordered by the long attribute {@code order} when given, else by start. */
    public List<SpanData> named(String name, AttributeKey<Long> order) {
        Comparator<SpanData> by = order == null ? Comparator.comparingLong(SpanData::getStartEpochNanos)
                : Comparator.comparingLong(s -> s.getAttributes().get(order));
        return spans.stream().filter(s -> s.getName().equals(name)).sorted(by).toList();
    }

    public List<SpanData> named(String name) {
        return named(name, null);
    }

    /** The one span named {@code name}; fails when there are none or several. */
    public SpanData one(String name) {
        List<SpanData> found = named(name);
        assertEquals(1, found.size(), "spans named " + name + " in " + this);
        return found.get(0);
    }

    /** True when {@code ancestor} is on {@code span}'s chain of parents. */
    public boolean descendsFrom(SpanData span, SpanData ancestor) {
        for (SpanData s = byId.get(span.getParentSpanId()); s != null; s = byId.get(s.getParentSpanId())) {
            if (s.getSpanId().equals(ancestor.getSpanId())) return true;
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (SpanData s : spans) {
            b.append(s.getName()).append(' ').append(s.getSpanId()).append("<-").append(s.getParentSpanId()).append("; ");
        }
        return b.append(']').toString();
    }
}
