package dev.sdserve.textencoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code sd.text-encoder.*}: request limits of text-encoder-service. */
@ConfigMapping(prefix = "sd.text-encoder")
public interface TextEncoderConfig {
    /** Most prompts one Tokenize or Encode request may carry; more is INVALID_ARGUMENT. */
    @WithDefault("16")
    int maxBatch();

    /** Longest prompt accepted, in characters; it bounds tokenizing work (prompts are cut to 77 tokens anyway). */
    @WithDefault("1048576")
    int maxPromptChars();

    /** On shutdown, how long Encode and Tokenize calls in flight may take to finish. */
    @WithDefault("10s")
    java.time.Duration drainTimeout();

    default TextEncoderStage.Limits limits() {
        return new TextEncoderStage.Limits(maxBatch(), maxPromptChars());
    }
}
