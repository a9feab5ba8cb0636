package dev.sdserve.textencoder;

import ai.onnxruntime.OnnxJavaType;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text encoder of one model: its {@link ClipTokenizer} and {@link ClipEncoder} ({@code text_encoder/}), and
 * for SDXL a second pair ({@code tokenizer_2/}, {@code text_encoder_2/}). {@link #encode} turns prompts into the
 * UNet's {@code encoder_hidden_states} in request order, one ORT call per encoder:
 * <ul>
 *   <li>SD 1.x/2.x: text_encoder's {@code last_hidden_state} [n, 77, D];</li>
 *   <li>SDXL (diffusers' {@code encode_prompt}): the penultimate hidden state of each encoder concatenated on the
 *       last axis [n, 77, D1 + D2], and text_encoder_2's pooled {@code text_embeds} [n, P]. The second encoder
 *       reads {@code prompts_2}, or the prompts when none are given.</li>
 * </ul>
 * Thread-safe: ORT sessions allow concurrent runs.
 */
public final class TextEncoderStage implements AutoCloseable {
    static final String PROMPTS_2 = "prompts_2";

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

    /**
     * Encoded prompts.
     *
     * @param lastHiddenState the UNet's encoder_hidden_states (SDXL: both penultimate states concatenated)
     * @param prompts         each prompt's tokenization by the first tokenizer
     * @param pooled          SDXL's pooled text_embeds [n, P]; null for SD 1.x/2.x
     * @param prompts2        SDXL: each prompts_2 entry's tokenization by tokenizer_2; empty otherwise
     */
    public record Encoded(FloatTensor lastHiddenState, List<Tokenization> prompts, FloatTensor pooled,
                          List<Tokenization> prompts2) {
        public Encoded(FloatTensor lastHiddenState, List<Tokenization> prompts) {
            this(lastHiddenState, prompts, null, List.of());
        }
    }

    /** Both tokenizations of a request: {@code second} is empty for models with one encoder. */
    public record Tokenized(List<Tokenization> first, List<Tokenization> second) {
    }

    /** The second tokenizer and encoder of SDXL models. */
    private record Second(ClipTokenizer tokenizer, ClipEncoder encoder) {
    }

    private final String model;
    private final ClipTokenizer tokenizer;
    private final ClipEncoder encoder;
    private final Second second;
    private final Limits limits;

    /**
     * Opens the model folder's tokenizer and text encoder, and for an SDXL folder also tokenizer_2 and
     * text_encoder_2 (NOT_FOUND naming the part when one is missing).
     */
    public static TextEncoderStage open(ModelFolder folder, RuntimeOptions options, Limits limits) {
        ClipTokenizer tokenizer = ClipTokenizer.load(folder.tokenizerDir());
        if (!folder.isSdxl()) {
            return new TextEncoderStage(folder.name(), tokenizer, folder.onnx(ModelFolder.Part.TEXT_ENCODER), options, limits);
        }
        folder.requireSdxlParts();
        ClipTokenizer tokenizer2 = ClipTokenizer.load(folder.tokenizerDir(ModelFolder.Tokenizer.SECOND));
        ClipEncoder first = new ClipEncoder(describe(folder.name(), ModelFolder.Part.TEXT_ENCODER),
                folder.onnx(ModelFolder.Part.TEXT_ENCODER), options);
        try {
            ClipEncoder encoder2 = new ClipEncoder(describe(folder.name(), ModelFolder.Part.TEXT_ENCODER_2),
                    folder.onnx(ModelFolder.Part.TEXT_ENCODER_2), options);
            TextEncoderStage stage = new TextEncoderStage(folder.name(), tokenizer, first, new Second(tokenizer2, encoder2), limits);
            try {
                // fail at load, not at the first request, when an output SDXL needs is missing
                first.penultimateOutput();
                encoder2.penultimateOutput();
                encoder2.pooledOutput();
            } catch (RuntimeException e) {
                stage.close();
                throw e;
            }
            return stage;
        } catch (RuntimeException e) {
            first.close();
            throw e;
        }
    }

    /** A one-encoder stage over an explicit ONNX file (tests and benchmarks use re-exported graphs this way). */
    public TextEncoderStage(String model, ClipTokenizer tokenizer, Path onnx, RuntimeOptions options, Limits limits) {
        this(model, tokenizer, new ClipEncoder(describe(model, ModelFolder.Part.TEXT_ENCODER), onnx, options), null, limits);
    }

    private TextEncoderStage(String model, ClipTokenizer tokenizer, ClipEncoder encoder, Second second, Limits limits) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.second = second;
        this.limits = limits;
    }

    private static String describe(String model, ModelFolder.Part part) {
        return part.dir + " of model '" + model + "'";
    }

    public String model() {
        return model;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** True when the model has a second text encoder (SDXL). */
    public boolean hasSecondEncoder() {
        return second != null;
    }

    /** The execution provider the session runs on (cpu, cuda, coreml). */
    public String executionProvider() {
        return encoder.executionProvider();
    }

    /** The element type the graph declares for its ids input: INT32 or INT64. */
    public OnnxJavaType idsType() {
        return encoder.idsType();
    }

    /** The second encoder's ids type (SDXL); null for one-encoder models. */
    public OnnxJavaType idsType2() {
        return second == null ? null : second.encoder().idsType();
    }

    /** Tokenizes prompts with the first tokenizer after checking the request limits. */
    public List<Tokenization> tokenize(List<String> prompts) {
        validate(prompts, "prompts");
        List<Tokenization> out = new ArrayList<>(prompts.size());
        for (String p : prompts) out.add(tokenizer.encode(p));
        return out;
    }

    /**
     * Tokenizes a request for every encoder: the prompts with the first tokenizer and, on SDXL, prompts_2 (or
     * the prompts when prompts_2 is empty) with tokenizer_2. INVALID_ARGUMENT naming prompts_2 when it is sent to
     * a one-encoder model or does not have one entry per prompt.
     */
    public Tokenized tokenizeAll(List<String> prompts, List<String> prompts2) {
        List<Tokenization> first = tokenize(prompts);
        if (second == null) {
            SdException.require(prompts2.isEmpty(), PROMPTS_2 + ": model '" + model + "' has one text encoder (no "
                    + "text_encoder_2/); prompts_2 is for SDXL models only");
            return new Tokenized(first, List.of());
        }
        List<String> texts = prompts2.isEmpty() ? prompts : prompts2;
        SdException.require(texts.size() == prompts.size(), PROMPTS_2 + ": " + prompts2.size() + " entries for "
                + prompts.size() + " prompts; send one per prompt, or none to reuse the prompts");
        validate(texts, PROMPTS_2);
        List<Tokenization> out = new ArrayList<>(texts.size());
        for (String p : texts) out.add(second.tokenizer().encode(p));
        return new Tokenized(first, out);
    }

    /** Tokenizes and encodes prompts; rows follow the request order. */
    public Encoded encode(List<String> prompts) {
        return encode(prompts, List.of());
    }

    /** Tokenizes and encodes prompts and SDXL's prompts_2 (empty = the prompts). */
    public Encoded encode(List<String> prompts, List<String> prompts2) {
        return encodeTokens(tokenizeAll(prompts, prompts2));
    }

    /** Encodes prompts already tokenized by {@link #tokenize} (one-encoder models). */
    public Encoded encodeTokens(List<Tokenization> tokens) {
        return encodeTokens(new Tokenized(tokens, List.of()));
    }

    /** Encodes a request already tokenized by {@link #tokenizeAll} (so the two steps can be timed apart). */
    public Encoded encodeTokens(Tokenized tokens) {
        List<Tokenization> t1 = tokens.first();
        int n = t1.size();
        if (second == null) {
            FloatTensor h = encoder.run(ids(t1), n, List.of(encoder.lastHiddenOutput())).get(0);
            return new Encoded(h, t1);
        }
        SdException.require(tokens.second().size() == n, PROMPTS_2 + ": " + tokens.second().size()
                + " tokenizations for " + n + " prompts");
        FloatTensor h1 = encoder.run(ids(t1), n, List.of(encoder.penultimateOutput())).get(0);
        ClipEncoder e2 = second.encoder();
        List<FloatTensor> r2 = e2.run(ids(tokens.second()), n, List.of(e2.penultimateOutput(), e2.pooledOutput()));
        return new Encoded(FloatTensor.concatLast(h1, r2.get(0)), t1, r2.get(1), tokens.second());
    }

    private static int[] ids(List<Tokenization> tokens) {
        int width = tokens.get(0).ids().length;
        int[] ids = new int[tokens.size() * width];
        for (int i = 0; i < tokens.size(); i++) System.arraycopy(tokens.get(i).ids(), 0, ids, i * width, width);
        return ids;
    }

    private void validate(List<String> prompts, String field) {
        SdException.require(!prompts.isEmpty(), field + ": empty list; send at least one prompt (\"\" is a valid prompt)");
        SdException.require(prompts.size() <= limits.maxBatch(), field + ": " + prompts.size()
                + " prompts exceed the maximum batch of " + limits.maxBatch() + " (sd.text-encoder.max-batch)");
        for (int i = 0; i < prompts.size(); i++) {
            SdException.require(prompts.get(i).length() <= limits.maxPromptChars(), field + "[" + i + "]: "
                    + prompts.get(i).length() + " characters exceed the maximum of " + limits.maxPromptChars()
                    + " (sd.text-encoder.max-prompt-chars)");
        }
    }

    @Override
    public void close() {
        encoder.close();
        if (second != null) second.encoder().close();
    }

    @Override
    public String toString() {
        return "TextEncoderStage[" + model + ", input_ids " + encoder.idsType()
                + (second == null ? "" : ", text_encoder_2 input_ids " + second.encoder().idsType()) + ", "
                + encoder.provider() + "]";
    }
}
