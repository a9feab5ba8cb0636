package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import java.util.function.Supplier;

/**
 * The {@code generate} span: one per generation, around the whole {@link Pipeline} run on the calling thread,
 * so every stage call the pipeline makes (Encode, the Denoise stream, Decode) is opened inside it and its
 * gRPC client span, and through the propagated context the stage services' spans, are its descendants. When
 * the generation ends, the profile rows are added as {@code sd.profile.<stage>_ms} attributes.
 */
public final class GenerationTracing {
    private static final AttributeKey<Long> STEPS = AttributeKey.longKey("sd.steps");
    private static final AttributeKey<Long> WIDTH = AttributeKey.longKey("sd.width");
    private static final AttributeKey<Long> HEIGHT = AttributeKey.longKey("sd.height");
    private static final AttributeKey<String> SCHEDULER = AttributeKey.stringKey("sd.scheduler");
    private static final AttributeKey<Long> CACHE_INTERVAL = AttributeKey.longKey("sd.cache_interval");
    private static final AttributeKey<Boolean> IMG2IMG = AttributeKey.booleanKey("sd.img2img");

    private final Tracer tracer;

    public GenerationTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Runs {@code generation} (the pipeline run of {@code req}) in a {@code generate} span. */
    public GenerationResult generate(GenerationRequest req, Supplier<GenerationResult> generation) {
        Attributes a = Attributes.builder().put(Tracing.MODEL, req.model().name()).put(Tracing.BATCH, req.nImages())
                .put(STEPS, req.steps()).put(WIDTH, req.width()).put(HEIGHT, req.height())
                .put(SCHEDULER, req.scheduler()).put(CACHE_INTERVAL, req.cache().interval())
                .put(IMG2IMG, req.initImage().isPresent()).build();
        return Tracing.inSpan(tracer, Tracing.GENERATE, a, span -> {
            GenerationResult r = generation.get();
            for (StageTimings.Timing t : r.timings()) span.setAttribute("sd.profile." + t.stage() + "_ms", t.totalMs());
            return r;
        });
    }
}
