package dev.sdserve.runtime;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.function.Function;

/**
 * The spans the stages record: their names, their attribute keys, and one way to run work in a span. Domain
 * classes take a {@link Tracer} and default to {@link #noop()}, so they stay constructible without CDI and cost
 * nothing untraced; the services pass the Quarkus tracer, whose spans are children of the gRPC call's span
 * (Quarkus carries the W3C trace context through gRPC metadata).
 */
public final class Tracing {
    /** The instrumentation scope of our own spans. */
    public static final String SCOPE = "dev.sdserve";

    /** The orchestrator's root span of one generation. */
    public static final String GENERATE = "generate";
    /** text-encoder-service: prompts to token ids (a child of {@link #TEXT_ENCODE}, or alone for Tokenize). */
    public static final String TOKENIZE = "tokenize";
    public static final String TEXT_ENCODE = "text_encode";
    /** unet-service: one span per denoising step. */
    public static final String UNET_STEP = "unet_step";
    public static final String VAE_DECODE = "vae_decode";
    public static final String VAE_ENCODE = "vae_encode";
    /** Span events of the step that met them: a feature of another session evicted, or this one's gone. */
    public static final String FEATURE_EVICT = "feature_store.evict";
    public static final String FEATURE_MISS = "feature_store.miss";

    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("sd.model");
    /** The execution provider the stage's ONNX Runtime session runs on (cpu, cuda, coreml). */
    public static final AttributeKey<String> EP = AttributeKey.stringKey("sd.ep");
    public static final AttributeKey<Long> BATCH = AttributeKey.longKey("sd.batch");
    /** A UNet step's index within its session (= the generation's call index). */
    public static final AttributeKey<Long> STEP = AttributeKey.longKey("sd.step");
    public static final AttributeKey<Double> TIMESTEP = AttributeKey.doubleKey("sd.timestep");
    /** The graph that ran: FULL or SHALLOW. */
    public static final AttributeKey<String> MODE = AttributeKey.stringKey("sd.mode");
    /** The graph the orchestrator asked for; differs from {@link #MODE} after a cache miss. */
    public static final AttributeKey<String> MODE_REQUESTED = AttributeKey.stringKey("sd.mode_requested");
    public static final AttributeKey<Boolean> CACHE_HIT = AttributeKey.booleanKey("sd.cache_hit");
    public static final AttributeKey<Long> BYTES = AttributeKey.longKey("sd.bytes");

    private static final Tracer NOOP = OpenTelemetry.noop().getTracer(SCOPE);

    private Tracing() {
    }

    /** A tracer that records nothing, for stages built outside a service. */
    public static Tracer noop() {
        return NOOP;
    }

    /**
     * Runs {@code work} in a new span named {@code name}, a child of the current context, and current while
     * {@code work} runs (so gRPC calls and nested spans made by it are its children). {@code work} may add
     * attributes it learns as it goes. A failure is recorded on the span and rethrown.
     */
    public static <T> T inSpan(Tracer tracer, String name, Attributes attributes, Function<Span, T> work) {
        Span span = tracer.spanBuilder(name).setAllAttributes(attributes).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.apply(span);
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }
}
