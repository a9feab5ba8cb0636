package dev.sdserve.textencoder;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text encoder of one model: its {@link ClipTokenizer} and an ONNX Runtime session of
 * {@code text_encoder/model.onnx}. {@link #encode} turns a list of prompts into {@code last_hidden_state}
 * [n, 77, D] in request order, in one ORT call. The {@code input_ids} dtype (int32 or int64, both occur in
 * real exports) is read from the session's input info. Thread-safe: ORT sessions allow concurrent runs.
 */
public final class TextEncoderStage implements AutoCloseable {
    static final String IDS_INPUT = "input_ids";
    static final String HIDDEN_OUTPUT = "last_hidden_state";

    /**
     * Request limits.
     *
     * @param maxBatch       most prompts per request ({@code sd.text-encoder.max-batch})
     * @param maxPromptChars longest prompt accepted, in UTF-16 chars ({@code sd.text-encoder.max-prompt-chars});
     *                       longer prompts are still truncated to 77 tokens, this only bounds tokenizing work
     */
    public record Limits(int maxBatch, int maxPromptChars) {
        public Limits {
            SdException.require(maxBatch >= 1, "sd.text-encoder.max-batch must be at least 1, got " + maxBatch);
            SdException.require(maxPromptChars >= 1, "sd.text-encoder.max-prompt-chars must be at least 1");
        }

        public static Limits defaults() {
            return new Limits(16, 1 << 20);
        }
    }

    /** Encoded prompts: {@code last_hidden_state} [n, maxLength, D] and each prompt's tokenization. */
    public record Encoded(FloatTensor lastHiddenState, List<Tokenization> prompts) {
    }

    private final String model;
    private final ClipTokenizer tokenizer;
    private final OrtSessions.Loaded loaded;
    private final Limits limits;
    private final String idsInput;
    private final OnnxJavaType idsType;
    private final String hiddenOutput;

    /** Opens the model folder's tokenizer and text encoder. */
    public static TextEncoderStage open(ModelFolder folder, RuntimeOptions options, Limits limits) {
        ClipTokenizer tokenizer = ClipTokenizer.load(folder.tokenizerDir());
        return new TextEncoderStage(folder.name(), tokenizer, folder.onnx(ModelFolder.Part.TEXT_ENCODER), options, limits);
    }

    /** A stage over an explicit ONNX file (tests and benchmarks use re-exported graphs this way). */
    public TextEncoderStage(String model, ClipTokenizer tokenizer, Path onnx, RuntimeOptions options, Limits limits) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.limits = limits;
        this.loaded = OrtSessions.open(onnx, options);
        try {
            OrtSession session = loaded.session();
            // Exports name the input input_ids; a graph with one other-named input is taken as-is.
            this.idsInput = session.getInputNames().contains(IDS_INPUT) ? IDS_INPUT : session.getInputNames().iterator().next();
            this.idsType = TensorCodec.inputType(session, idsInput);
            this.hiddenOutput = session.getOutputNames().contains(HIDDEN_OUTPUT) ? HIDDEN_OUTPUT
                    : session.getOutputNames().iterator().next();
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    public String model() {
        return model;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** The execution provider the session runs on (cpu, cuda, coreml). */
    public String executionProvider() {
        return loaded.provider().id();
    }

    /** The element type the graph declares for its ids input: INT32 or INT64. */
    public OnnxJavaType idsType() {
        return idsType;
    }

    /** Tokenizes prompts after checking the request limits. */
    public List<Tokenization> tokenize(List<String> prompts) {
        validate(prompts);
        List<Tokenization> out = new ArrayList<>(prompts.size());
        for (String p : prompts) out.add(tokenizer.encode(p));
        return out;
    }

    /** Tokenizes and encodes prompts; {@code last_hidden_state} rows follow the request order. */
    public Encoded encode(List<String> prompts) {
        return encodeTokens(tokenize(prompts));
    }

    /** Encodes prompts already tokenized by {@link #tokenize} (so the two steps can be timed apart). */
    public Encoded encodeTokens(List<Tokenization> tokens) {
        int width = tokenizer.maxLength();
        int[] ids = new int[tokens.size() * width];
        for (int i = 0; i < tokens.size(); i++) System.arraycopy(tokens.get(i).ids(), 0, ids, i * width, width);
        return new Encoded(run(ids, tokens.size()), tokens);
    }

    /** Runs the graph on {@code n} rows of padded ids (row-major [n, maxLength]). */
    public FloatTensor run(int[] ids, int n) {
        SdException.require(n > 0 && ids.length % n == 0, "ids: " + ids.length + " ids do not form " + n + " rows");
        long[] shape = {n, ids.length / n};
        try (OnnxTensor input = TensorCodec.intsToOnnx(shape, ids, idsType);
             OrtSession.Result result = loaded.session().run(Map.of(idsInput, input), Set.of(hiddenOutput))) {
            return TensorCodec.fromOnnx(result.get(0));
        } catch (OrtException e) {
            throw SdException.internal("text encoder of model '" + model + "' failed on " + n + " prompts: "
                    + e.getMessage(), e);
        }
    }

    private void validate(List<String> prompts) {
        SdException.require(!prompts.isEmpty(), "prompts: empty list; send at least one prompt (\"\" is a valid prompt)");
        SdException.require(prompts.size() <= limits.maxBatch(), "prompts: " + prompts.size()
                + " prompts exceed the maximum batch of " + limits.maxBatch() + " (sd.text-encoder.max-batch)");
        for (int i = 0; i < prompts.size(); i++) {
            SdException.require(prompts.get(i).length() <= limits.maxPromptChars(), "prompts[" + i + "]: "
                    + prompts.get(i).length() + " characters exceed the maximum of " + limits.maxPromptChars()
                    + " (sd.text-encoder.max-prompt-chars)");
        }
    }

    @Override
    public void close() {
        loaded.close();
    }

    @Override
    public String toString() {
        return "TextEncoderStage[" + model + ", input_ids " + idsType + ", " + loaded.provider() + "]";
    }
}
