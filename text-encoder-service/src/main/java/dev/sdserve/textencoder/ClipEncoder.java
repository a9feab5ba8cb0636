package dev.sdserve.textencoder;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One CLIP text encoder: an ONNX Runtime session of {@code text_encoder/} or {@code text_encoder_2/} and the names of its
 * outputs. The {@code input_ids} dtype (int32 or int64, both occur in real exports) is read from the session.
 * SDXL takes the penultimate hidden state, {@code hidden_states.(K-2)} of the K {@code hidden_states.*} outputs
 * optimum exports; SD 1.x/2.x the {@code last_hidden_state}. Thread-safe: ORT sessions allow concurrent runs.
 */
final class ClipEncoder implements AutoCloseable {
    static final String IDS_INPUT = "input_ids";
    static final String HIDDEN_OUTPUT = "last_hidden_state";
    /** text_encoder_2's pooled, projected output (CLIPTextModelWithProjection). */
    static final String POOLED_OUTPUT = "text_embeds";
    private static final Pattern HIDDEN_STATES = Pattern.compile("hidden_states\\.(\\d+)");

    private final String what;
    private final OrtSessions.Loaded loaded;
    private final String idsInput;
    private final OnnxJavaType idsType;
    private final Set<String> outputs;

    /** Opens {@code onnx}; {@code what} names it in errors (e.g. "text_encoder_2 of model 'x'"). */
    ClipEncoder(String what, Path onnx, RuntimeOptions options) {
        this.what = what;
        this.loaded = OrtSessions.open(onnx, options);
        try {
            OrtSession session = loaded.session();
            // Exports name the input input_ids; a graph with one other-named input is taken as-is.
            this.idsInput = session.getInputNames().contains(IDS_INPUT) ? IDS_INPUT : session.getInputNames().iterator().next();
            this.idsType = TensorCodec.inputType(session, idsInput);
            this.outputs = new LinkedHashSet<>(session.getOutputNames());
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    OnnxJavaType idsType() {
        return idsType;
    }

    String executionProvider() {
        return loaded.provider().id();
    }

    String provider() {
        return loaded.provider().toString();
    }

    /** {@code last_hidden_state}, or the graph's first output when it is named otherwise. */
    String lastHiddenOutput() {
        return outputs.contains(HIDDEN_OUTPUT) ? HIDDEN_OUTPUT : outputs.iterator().next();
    }

    /** {@code hidden_states.(K-2)} of the K {@code hidden_states.*} outputs; FAILED_PRECONDITION when K < 2. */
    String penultimateOutput() {
        int k = 0;
        for (String o : outputs) {
            Matcher m = HIDDEN_STATES.matcher(o);
            if (m.matches()) k = Math.max(k, Integer.parseInt(m.group(1)) + 1);
        }
        String name = "hidden_states." + (k - 2);
        if (k < 2 || !outputs.contains(name)) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, what + " has no penultimate hidden state: SDXL "
                    + "needs the hidden_states.0 .. hidden_states.L outputs (export with output_hidden_states); outputs are "
                    + outputs);
        }
        return name;
    }

    /** {@code text_embeds}; FAILED_PRECONDITION when the graph has no such output. */
    String pooledOutput() {
        if (!outputs.contains(POOLED_OUTPUT)) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, what + " has no '" + POOLED_OUTPUT
                    + "' output (SDXL's text_encoder_2 is a CLIPTextModelWithProjection); outputs are " + outputs);
        }
        return POOLED_OUTPUT;
    }

    /** Runs the graph on {@code n} rows of padded ids (row-major [n, length]); the wanted outputs in order. */
    List<FloatTensor> run(int[] ids, int n, List<String> wanted) {
        SdException.require(n > 0 && ids.length % n == 0, "ids: " + ids.length + " ids do not form " + n + " rows");
        long[] shape = {n, ids.length / n};
        try (OnnxTensor input = TensorCodec.intsToOnnx(shape, ids, idsType);
             OrtSession.Result result = loaded.session().run(Map.of(idsInput, input), new LinkedHashSet<>(wanted))) {
            List<FloatTensor> out = new ArrayList<>(wanted.size());
            for (String w : wanted) out.add(TensorCodec.fromOnnx(result.get(w).orElseThrow()));
            return out;
        } catch (OrtException e) {
            throw SdException.internal(what + " failed on " + n + " prompts: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        loaded.close();
    }
}
