package dev.sdserve.textencoder;

import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;

/**
 * The text encoder's spans: {@code text_encode} around an encode, with a {@code tokenize} child for the BPE
 * part, each with the model, the EP and the number of prompts. Children of the current context (the gRPC
 * call's span in the service).
 */
public final class TextEncoderTracing {
    private final Tracer tracer;

    public TextEncoderTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** {@link TextEncoderStage#tokenize} in a {@code tokenize} span. */
    public List<Tokenization> tokenize(TextEncoderStage stage, List<String> prompts) {
        return Tracing.inSpan(tracer, Tracing.TOKENIZE, attributes(stage, prompts), span -> stage.tokenize(prompts));
    }

    /** {@link TextEncoderStage#encode} in a {@code text_encode} span holding the {@code tokenize} span. */
    public TextEncoderStage.Encoded encode(TextEncoderStage stage, List<String> prompts) {
        return encode(stage, prompts, List.of());
    }

    /** The same with SDXL's prompts_2 (empty = the prompts); tokenize covers both tokenizers. */
    public TextEncoderStage.Encoded encode(TextEncoderStage stage, List<String> prompts, List<String> prompts2) {
        return Tracing.inSpan(tracer, Tracing.TEXT_ENCODE, attributes(stage, prompts), span -> {
            TextEncoderStage.Tokenized tokens = Tracing.inSpan(tracer, Tracing.TOKENIZE, attributes(stage, prompts),
                    inner -> stage.tokenizeAll(prompts, prompts2));
            return stage.encodeTokens(tokens);
        });
    }

    private static Attributes attributes(TextEncoderStage stage, List<String> prompts) {
        return Attributes.of(Tracing.MODEL, stage.model(), Tracing.EP, stage.executionProvider(),
                Tracing.BATCH, (long) prompts.size());
    }
}
