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
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * One UNet at one DeepCache branch: the full graph (which also returns the cache tensor; its session is shared with
 * the model's other branches through {@link FullUnets}) and the shallow graph (which takes it). float16 models are
 * converted at the boundary; the timestep is encoded the way the export declares it.
 */
public final class UnetStage implements AutoCloseable {
    public static final String SAMPLE = "sample";
    public static final String TIMESTEP = "timestep";
    public static final String TEXT = "encoder_hidden_states";
    private static final Logger LOG = Logger.getLogger(UnetStage.class);

    /** What Describe reports. MACs are per call at batch 1 and the model's native latent size. */
    public record Description(String model, int branch, String cacheTensor, long fullMacs, long shallowMacs,
                              String executionProvider, int fullNodes, int shallowNodes) {
    }

    /** A full step's noise prediction and the feature to cache. */
    public record FullRun(FloatTensor noisePred, Feature feature, double runMs) {
    }

    /** A shallow step's noise prediction. */
    public record ShallowRun(FloatTensor noisePred, double runMs) {
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
    private final OnnxJavaType textType;
    private final TimestepInput fullTimestep;
    private final TimestepInput shallowTimestep;
    private final long channels;
    private final long textDim;

    private UnetStage(String model, DerivedGraphs.Entry graphs, ModelCache<OrtSessions.Loaded>.Lease fullLease,
                      FullUnets ownFulls, OrtSessions.Loaded shallow) throws OrtException {
        this.graphs = graphs;
        this.fullLease = fullLease;
        this.ownFulls = ownFulls;
        this.full = fullLease.get();
        this.shallow = shallow;
        DerivedGraphs.Meta m = graphs.meta();
        this.description = new Description(model, m.branch(), m.cacheTensor(), m.fullMacs(), m.shallowMacs(),
                full.provider().id(), m.fullNodes(), m.shallowNodes());
        this.output = full.session().getOutputNames().iterator().next();
        this.fullOutputs = Set.of(output, m.cacheTensor());
        this.sampleType = TensorCodec.inputType(full.session(), SAMPLE);
        this.textType = TensorCodec.inputType(full.session(), TEXT);
        this.fullTimestep = timestepInput(full.session());
        this.shallowTimestep = timestepInput(shallow.session());
        this.channels = TensorCodec.inputShape(full.session(), SAMPLE)[1];
        this.textDim = TensorCodec.inputShape(full.session(), TEXT)[2];
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
        return new TimestepInput(t.type, t.getShape().length);
    }

    public Description description() {
        return description;
    }

    public DerivedGraphs.Entry graphs() {
        return graphs;
    }

    /** The text embeddings as the session input, converted once per session: [batch, sequence, dim]. */
    public OnnxTensor embeddings(FloatTensor ehs) {
        long[] s = ehs.shape();
        SdException.require(s.length == 3 && s[0] > 0 && s[1] > 0, "encoder_hidden_states: expected [batch, sequence, "
                + textDim + "], got " + Arrays.toString(s));
        SdException.require(textDim <= 0 || s[2] == textDim, "encoder_hidden_states: this UNet takes "
                + textDim + "-wide embeddings, got " + Arrays.toString(s));
        SdException.require(ehs.allFinite(), "encoder_hidden_states: contains NaN or Inf");
        return TensorCodec.toOnnx(ehs, textType);
    }

    /** Checks a sample against the model and the session's batch: [batch, channels, h, w], h and w multiples of 8. */
    public void checkSample(FloatTensor sample, long batch) {
        long[] s = sample.shape();
        SdException.require(s.length == 4, "sample: expected [batch, " + channels + ", height, width], got "
                + Arrays.toString(s));
        SdException.require(channels <= 0 || s[1] == channels, "sample: this UNet takes " + channels
                + " latent channels, got " + Arrays.toString(s));
        SdException.require(s[0] == batch, "sample: batch " + s[0] + " does not match the encoder_hidden_states"
                + " batch " + batch);
        SdException.require(s[2] > 0 && s[3] > 0 && s[2] % 8 == 0 && s[3] % 8 == 0,
                "sample: height and width must be positive multiples of 8, got " + s[2] + "x" + s[3]);
        SdException.require(sample.allFinite(), "sample: contains NaN or Inf");
    }

    /** Runs the full graph; the caller owns the returned feature. */
    public FullRun runFull(FloatTensor sample, double[] t, OnnxTensor ehs) {
        try (OnnxTensor x = TensorCodec.toOnnx(sample, sampleType);
             OnnxTensor ts = fullTimestep.toOnnx(t, (int) sample.dim(0))) {
            long t0 = System.nanoTime();
            OrtSession.Result r = full.session().run(Map.of(SAMPLE, x, TIMESTEP, ts, TEXT, ehs), fullOutputs);
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
    public ShallowRun runShallow(FloatTensor sample, double[] t, OnnxTensor ehs, Feature cached) {
        SdException.require(Arrays.equals(sample.shape(), cached.sampleShape()), "sample: shape "
                + Arrays.toString(sample.shape()) + " differs from the sample the cached feature was computed on "
                + Arrays.toString(cached.sampleShape()) + "; run a FULL step after changing the size");
        try (OnnxTensor x = TensorCodec.toOnnx(sample, sampleType);
             OnnxTensor ts = shallowTimestep.toOnnx(t, (int) sample.dim(0))) {
            long t0 = System.nanoTime();
            try (OrtSession.Result r = shallow.session().run(
                    Map.of(SAMPLE, x, TIMESTEP, ts, TEXT, ehs, description.cacheTensor(), cached.tensor()))) {
                double runMs = (System.nanoTime() - t0) / 1e6;
                return new ShallowRun(TensorCodec.fromOnnx(r.get(0)), runMs);
            }
        } catch (OrtException e) {
            throw SdException.internal("UNet shallow step failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        fullLease.close();
        shallow.close();
        if (ownFulls != null) ownFulls.close();
    }
}
