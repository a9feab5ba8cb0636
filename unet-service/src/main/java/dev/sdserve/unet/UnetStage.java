package dev.sdserve.unet;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import dev.sdserve.unet.graph.DerivedGraphs;
import dev.sdserve.unet.graph.MacCounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * One UNet at one DeepCache branch: the full graph (which also returns the cache tensor; its session is shared with
 * the model's other branches through {@link FullUnets}) and the shallow graph (which takes it). Each graph is fed
 * only the inputs it declares: {@code sample}, {@code timestep}, and the session's {@link Inputs}
 * ({@code encoder_hidden_states}, and SDXL's {@code text_embeds} and {@code time_ids}); the shallow graph of SDXL's
 * branches 0-2 declares no {@code encoder_hidden_states}. float16 models are converted at the boundary; the
 * timestep is encoded the way the export declares it.
 */
public final class UnetStage implements AutoCloseable {
    public static final String SAMPLE = "sample";
    public static final String TIMESTEP = "timestep";
    public static final String TEXT = "encoder_hidden_states";
    public static final String TEXT_EMBEDS = "text_embeds";
    public static final String TIME_IDS = "time_ids";
    private static final Set<String> CONDITIONING = Set.of(TEXT, TEXT_EMBEDS, TIME_IDS);
    private static final Logger LOG = Logger.getLogger(UnetStage.class);

    /**
     * What Describe reports. MACs are per call at batch 1 and the model's native latent size; the inputs are those
     * each graph declares (the shallow graph's include the cache tensor); cacheBranches is 3 per up block.
     */
    public record Description(String model, int branch, String cacheTensor, long fullMacs, long shallowMacs,
                              String executionProvider, int fullNodes, int shallowNodes, List<String> fullInputs,
                              List<String> shallowInputs, int cacheBranches) {
    }

    /** A full step's noise prediction and the feature to cache. */
    public record FullRun(FloatTensor noisePred, Feature feature, double runMs) {
    }

    /** A shallow step's noise prediction. */
    public record ShallowRun(FloatTensor noisePred, double runMs) {
    }

    /**
     * A session's conditioning as ONNX Runtime tensors in the graph's types, converted once at open, by input
     * name; closing frees them.
     */
    public static final class Inputs implements AutoCloseable {
        private final Map<String, OnnxTensor> tensors;
        private final long batch;

        private Inputs(Map<String, OnnxTensor> tensors, long batch) {
            this.tensors = tensors;
            this.batch = batch;
        }

        public long batch() {
            return batch;
        }

        OnnxTensor get(String name) {
            return tensors.get(name);
        }

        @Override
        public void close() {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    /** The declared element type and shape of a conditioning input. */
    private record Declared(OnnxJavaType type, long[] shape) {
    }

    private final DerivedGraphs.Entry graphs;
    private final ModelCache<OrtSessions.Loaded>.Lease fullLease;
    private final FullUnets ownFulls; // non-null when this stage made its own (see the four-argument load)
    private final OrtSessions.Loaded full;
    private final OrtSessions.Loaded shallow;
    private final Set<String> fullOutputs;
    private final Description description;
    private final String output;
    private final OnnxJavaType sampleType;
    private final Map<String, Declared> conditioning;
    private final TimestepInput fullTimestep;
    private final TimestepInput shallowTimestep;
    private final long channels;

    private UnetStage(String model, DerivedGraphs.Entry graphs, ModelCache<OrtSessions.Loaded>.Lease fullLease,
                      FullUnets ownFulls, OrtSessions.Loaded shallow) throws OrtException {
        this.graphs = graphs;
        this.fullLease = fullLease;
        this.ownFulls = ownFulls;
        this.full = fullLease.get();
        this.shallow = shallow;
        DerivedGraphs.Meta m = graphs.meta();
        List<String> fullInputs = List.copyOf(full.session().getInputNames());
        List<String> shallowInputs = List.copyOf(shallow.session().getInputNames());
        checkInputs(fullInputs, "", model);
        checkInputs(shallowInputs, m.cacheTensor(), model);
        this.description = new Description(model, m.branch(), m.cacheTensor(), m.fullMacs(), m.shallowMacs(),
                full.provider().id(), m.fullNodes(), m.shallowNodes(), fullInputs, shallowInputs, m.cacheBranches());
        this.output = full.session().getOutputNames().iterator().next();
        this.fullOutputs = Set.of(output, m.cacheTensor());
        this.sampleType = TensorCodec.inputType(full.session(), SAMPLE);
        Map<String, Declared> declared = new LinkedHashMap<>();
        for (String in : fullInputs) {
            if (CONDITIONING.contains(in)) {
                declared.put(in, new Declared(TensorCodec.inputType(full.session(), in), TensorCodec.inputShape(full.session(), in)));
            }
        }
        this.conditioning = declared;
        this.fullTimestep = timestepInput(full.session());
        this.shallowTimestep = shallowInputs.contains(TIMESTEP) ? timestepInput(shallow.session()) : null;
        this.channels = TensorCodec.inputShape(full.session(), SAMPLE)[1];
    }

    /** FAILED_PRECONDITION at load when a graph declares an input no request can fill. */
    private static void checkInputs(List<String> inputs, String cacheTensor, String model) {
        for (String in : inputs) {
            if (!in.equals(SAMPLE) && !in.equals(TIMESTEP) && !CONDITIONING.contains(in) && !in.equals(cacheTensor)) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "the UNet of model '" + model
                        + "' declares the input '" + in + "', which sdserve does not feed (it feeds " + SAMPLE + ", "
                        + TIMESTEP + ", " + TEXT + ", " + TEXT_EMBEDS + " and " + TIME_IDS + "); inputs are " + inputs);
            }
        }
    }

    /** Loads {@code model}'s UNet for {@code branch} with a full-graph session of its own (tests, tools). */
    public static UnetStage load(ModelFolder model, int branch, UnetSettings settings, RuntimeOptions options) {
        FullUnets own = new FullUnets(1, options);
        try {
            return load(model, branch, settings, options, own, true);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Loads (deriving on first use) the shallow graph of {@code model}'s UNet for {@code branch}, and leases the
     * model's full graph from {@code fulls}.
     */
    public static UnetStage load(ModelFolder model, int branch, UnetSettings settings, RuntimeOptions options,
                                 FullUnets fulls) {
        return load(model, branch, settings, options, fulls, false);
    }

    private static UnetStage load(ModelFolder model, int branch, UnetSettings settings, RuntimeOptions options,
                                  FullUnets fulls, boolean owned) {
        Path source = model.onnx(ModelFolder.Part.UNET);
        var config = model.config(ModelFolder.Part.UNET);
        int nativeSide = config.path("sample_size").asInt(64);
        MacCounter.ProbeShape probe = new MacCounter.ProbeShape(config.path("in_channels").asInt(4), 77,
                config.path("cross_attention_dim").asInt(768));
        DerivedGraphs.Entry graphs = DerivedGraphs.forSource(settings.graphCacheDir(), source.getParent())
                .obtain(source, branch, settings.cacheTensor(), probe, nativeSide);
        ModelCache<OrtSessions.Loaded>.Lease full = fulls.acquire(graphs);
        OrtSessions.Loaded shallow = null;
        try {
            shallow = open(graphs.shallow(), graphs.shallowWeightsFolder(), options);
            UnetStage stage = new UnetStage(model.name(), graphs, full, owned ? fulls : null, shallow);
            Description d = stage.description;
            LOG.infof("unet %s branch %d: cache tensor %s; full %d nodes %.3f GMACs, shallow %d nodes %.3f GMACs"
                            + " (%.1f%% of full) at %dx%d latent, batch 1; graphs in %s and %s", d.model(), branch,
                    d.cacheTensor(), d.fullNodes(), d.fullMacs() / 1e9, d.shallowNodes(), d.shallowMacs() / 1e9,
                    100.0 * d.shallowMacs() / Math.max(1, d.fullMacs()), nativeSide, nativeSide, graphs.fullDir(),
                    graphs.dir());
            return stage;
        } catch (OrtException | RuntimeException e) {
            full.close();
            if (shallow != null) shallow.close();
            throw e instanceof SdException sd ? sd : SdException.internal("loading UNet " + model.name(), e);
        }
    }

    static OrtSessions.Loaded open(Path graph, Path weightsFolder, RuntimeOptions options) {
        try {
            return OrtSessions.open(Files.readAllBytes(graph), weightsFolder, graph, options, o -> { });
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot read " + graph + ": " + e.getMessage(), e);
        }
    }

    static TimestepInput timestepInput(OrtSession session) throws OrtException {
        var info = session.getInputInfo().get(TIMESTEP);
        if (info == null) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "the UNet has no '" + TIMESTEP
                    + "' input; inputs are " + session.getInputNames());
        }
        TensorInfo t = (TensorInfo) info.getInfo();
        return TimestepInput.of(t.type, t.getShape());
    }

    public Description description() {
        return description;
    }

    public DerivedGraphs.Entry graphs() {
        return graphs;
    }

    /** SD 1.x/2.x: {@link #inputs} for the text embeddings alone. */
    public Inputs embeddings(FloatTensor ehs) {
        return inputs(UnetConditioning.text(ehs));
    }

    /** True when the UNet takes SDXL's extra conditioning ({@code text_embeds}, {@code time_ids}). */
    public boolean takesSdxlConditioning() {
        return conditioning.containsKey(TEXT_EMBEDS) || conditioning.containsKey(TIME_IDS);
    }

    /**
     * The session's conditioning as the graph's inputs, validated and converted once per session: the text
     * embeddings [batch, sequence, dim] and, for a UNet that declares them, text_embeds [batch, proj_dim] and
     * time_ids [batch, 6], of the same batch. INVALID_ARGUMENT naming the field when one is missing, has the wrong
     * shape or batch, holds NaN/Inf, or is sent to a UNet without that input.
     */
    public Inputs inputs(UnetConditioning c) {
        FloatTensor ehs = c.encoderHiddenStates();
        SdException.require(ehs != null, TEXT + ": missing tensor");
        long[] s = ehs.shape();
        long textDim = conditioning.containsKey(TEXT) ? lastDim(conditioning.get(TEXT)) : -1;
        SdException.require(s.length == 3 && s[0] > 0 && s[1] > 0, TEXT + ": expected [batch, sequence, "
                + textDim + "], got " + Arrays.toString(s));
        SdException.require(textDim <= 0 || s[2] == textDim, TEXT + ": this UNet takes "
                + textDim + "-wide embeddings, got " + Arrays.toString(s));
        SdException.require(ehs.allFinite(), TEXT + ": contains NaN or Inf");
        long batch = s[0];
        checkExtra(TEXT_EMBEDS, c.textEmbeds(), batch, "the pooled text embeddings [batch, proj_dim]");
        checkExtra(TIME_IDS, c.timeIds(), batch, "[batch, 6] = (orig_h, orig_w, crop_top, crop_left, target_h, target_w)");
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Declared> e : conditioning.entrySet()) {
                FloatTensor value = switch (e.getKey()) {
                    case TEXT -> ehs;
                    case TEXT_EMBEDS -> c.textEmbeds();
                    default -> c.timeIds();
                };
                out.put(e.getKey(), TensorCodec.toOnnx(value, e.getValue().type()));
            }
        } catch (RuntimeException e) {
            out.values().forEach(OnnxTensor::close);
            throw e;
        }
        return new Inputs(out, batch);
    }

    /** Checks SDXL's text_embeds or time_ids: present exactly when the UNet declares it, [batch, declared width]. */
    private void checkExtra(String name, FloatTensor value, long batch, String what) {
        Declared d = conditioning.get(name);
        if (d == null) {
            SdException.require(value == null, name + ": this UNet has no " + name + " input (it is not an SDXL"
                    + " UNet); send " + name + " only to SDXL models");
            return;
        }
        SdException.require(value != null, name + ": missing; this SDXL UNet needs " + what + " at open");
        long width = lastDim(d);
        long[] s = value.shape();
        SdException.require(s.length == 2 && (width <= 0 || s[1] == width), name + ": expected [batch, "
                + (width > 0 ? width : "n") + "], got " + Arrays.toString(s));
        SdException.require(s[0] == batch, name + ": batch " + s[0] + " does not match the " + TEXT + " batch "
                + batch);
        SdException.require(value.allFinite(), name + ": contains NaN or Inf");
    }

    private static long lastDim(Declared d) {
        return d.shape().length == 0 ? -1 : d.shape()[d.shape().length - 1];
    }

    /** Checks a sample against the model and the session's batch: [batch, channels, h, w], h and w multiples of 8. */
    public void checkSample(FloatTensor sample, long batch) {
        long[] s = sample.shape();
        SdException.require(s.length == 4, "sample: expected [batch, " + channels + ", height, width], got "
                + Arrays.toString(s));
        SdException.require(channels <= 0 || s[1] == channels, "sample: this UNet takes " + channels
                + " latent channels, got " + Arrays.toString(s));
        SdException.require(s[0] == batch, "sample: batch " + s[0] + " does not match the " + TEXT
                + " batch " + batch);
        SdException.require(s[2] > 0 && s[3] > 0 && s[2] % 8 == 0 && s[3] % 8 == 0,
                "sample: height and width must be positive multiples of 8, got " + s[2] + "x" + s[3]);
        SdException.require(sample.allFinite(), "sample: contains NaN or Inf");
    }

    /** Runs the full graph; the caller owns the returned feature. */
    public FullRun runFull(FloatTensor sample, double[] t, Inputs in) {
        try (OnnxTensor x = TensorCodec.toOnnx(sample, sampleType);
             OnnxTensor ts = fullTimestep.toOnnx(t, (int) sample.dim(0))) {
            long t0 = System.nanoTime();
            OrtSession.Result r = full.session().run(feed(description.fullInputs(), x, ts, in, null), fullOutputs);
            double runMs = (System.nanoTime() - t0) / 1e6;
            try {
                FloatTensor noise = TensorCodec.fromOnnx(r.get(output).orElseThrow());
                return new FullRun(noise, Feature.keepOnly(r, description.cacheTensor(), sample.shape()), runMs);
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
        } catch (OrtException e) {
            throw SdException.internal("UNet full step failed: " + e.getMessage(), e);
        }
    }

    /** Runs the shallow graph on a feature cached from a full step on a sample of the same shape. */
    public ShallowRun runShallow(FloatTensor sample, double[] t, Inputs in, Feature cached) {
        SdException.require(Arrays.equals(sample.shape(), cached.sampleShape()), "sample: shape "
                + Arrays.toString(sample.shape()) + " differs from the sample the cached feature was computed on "
                + Arrays.toString(cached.sampleShape()) + "; run a FULL step after changing the size");
        try (OnnxTensor x = TensorCodec.toOnnx(sample, sampleType);
             OnnxTensor ts = shallowTimestep == null ? null : shallowTimestep.toOnnx(t, (int) sample.dim(0))) {
            long t0 = System.nanoTime();
            try (OrtSession.Result r = shallow.session().run(feed(description.shallowInputs(), x, ts, in, cached.tensor()))) {
                double runMs = (System.nanoTime() - t0) / 1e6;
                return new ShallowRun(TensorCodec.fromOnnx(r.get(0)), runMs);
            }
        } catch (OrtException e) {
            throw SdException.internal("UNet shallow step failed: " + e.getMessage(), e);
        }
    }

    /** The feeds of a graph: exactly the inputs it declares. */
    private Map<String, OnnxTensor> feed(List<String> declared, OnnxTensor sample, OnnxTensor timestep, Inputs in,
                                         OnnxTensor cached) {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        for (String name : declared) {
            OnnxTensor v = switch (name) {
                case SAMPLE -> sample;
                case TIMESTEP -> timestep;
                default -> name.equals(description.cacheTensor()) && cached != null ? cached : in.get(name);
            };
            if (v == null) throw SdException.internal("no value for the UNet input '" + name + "'", null);
            feeds.put(name, v);
        }
        return feeds;
    }

    @Override
    public void close() {
        fullLease.close();
        shallow.close();
        if (ownFulls != null) ownFulls.close();
    }
}
