package dev.sdserve.unet;

import static dev.sdserve.runtime.SharedFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.unet.graph.DerivedGraphs;
import dev.sdserve.unet.graph.MacCounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports shaped otherwise: external weights, int64 / rank-0 timesteps, float16 inputs and output. */
class ModelVariantsTest {
    @TempDir
    Path tmp;

    final RuntimeOptions fast = new RuntimeOptions(dev.sdserve.runtime.ExecutionProvider.CPU, 0, "basic");

    UnetStage load(Path model, Path graphs) {
        return UnetStage.load(ModelFolder.open(model.getFileName().toString(), model), 0,
                TinyUnet.settings(graphs, 1L << 30, Duration.ofMinutes(10), 4), fast);
    }

    /** Runs full then shallow on a UNet case; returns {full out, shallow out}. */
    static FloatTensor[] fullAndShallow(UnetStage stage, String id) {
        Path dir = TinyUnet.unetCase(id);
        FloatTensor sample = tensor(dir.resolve("sample.f32"));
        double[] t = TinyUnet.timesteps(dir);
        try (UnetStage.Inputs ehs = stage.embeddings(tensor(dir.resolve("encoder_hidden_states.f32")))) {
            UnetStage.FullRun full = stage.runFull(sample, t, ehs);
            try (Feature f = full.feature()) {
                return new FloatTensor[] {full.noisePred(), stage.runShallow(sample, t, ehs, f).noisePred()};
            }
        }
    }

    @Test
    void externalWeightsStayInTheSourceFileAndTheDerivedCacheIsReused() throws Exception {
        Path model = ModelVariants.write(tmp, "external", m -> m, true);
        Path graphs = tmp.resolve("graphs");
        long before = DerivedGraphs.surgeriesRun();
        try (UnetStage stage = load(model, graphs)) {
            assertEquals(before + 2, DerivedGraphs.surgeriesRun(), "this branch's shallow graph and the shared full graph");
            DerivedGraphs.Entry e = stage.graphs();
            assertEquals(model.resolve("unet"), e.fullWeightsFolder());
            assertEquals(model.resolve("unet"), e.shallowWeightsFolder());
            assertFalse(Files.exists(e.dir().resolve("weights.bin")));
            assertFalse(Files.exists(e.fullDir().resolve("weights.bin")));
            assertTrue(Files.size(e.full()) < 2_000_000, "full graph holds no weights: " + Files.size(e.full()));
            FloatTensor[] out = fullAndShallow(stage, "unet_1");
            assertTrue(out[0].maxAbsDiff(tensor(TinyUnet.unetCase("unet_1").resolve("out_sample.f32"))) < 2e-5);
            assertTrue(out[1].maxAbsDiff(out[0]) < 1e-5);
            FileTime built = Files.getLastModifiedTime(e.dir().resolve("meta.json"));
            Path unet = model.resolve("unet").resolve("model.onnx");
            DerivedGraphs.Entry again = DerivedGraphs.forSource(Optional.of(graphs), unet.getParent())
                    .obtain(unet, 0, Optional.empty(), new MacCounter.ProbeShape(4, 77, 32), 32);
            assertEquals(before + 2, DerivedGraphs.surgeriesRun()); // reused: no further surgery
            assertEquals(built, Files.getLastModifiedTime(again.dir().resolve("meta.json")));
            assertEquals(stage.description().fullMacs(), again.meta().fullMacs());
        }
    }

    @Test
    void int64TimestepAndFloat16InputsAndOutputAreConvertedAtTheBoundary() throws Exception {
        Path model = ModelVariants.write(tmp, "int64-fp16", m -> {
            m = ModelVariants.retypeInput(m, "timestep", DataType.INT64_VALUE, DataType.FLOAT_VALUE);
            m = ModelVariants.retypeInput(m, "sample", DataType.FLOAT16_VALUE, DataType.FLOAT_VALUE);
            m = ModelVariants.retypeInput(m, "encoder_hidden_states", DataType.FLOAT16_VALUE, DataType.FLOAT_VALUE);
            return ModelVariants.halfOutput(m);
        }, false);
        try (UnetStage stage = load(model, tmp.resolve("graphs"))) {
            FloatTensor[] out = fullAndShallow(stage, "unet_1"); // t = 500, an integer
            float err = out[0].maxAbsDiff(tensor(TinyUnet.unetCase("unet_1").resolve("out_sample.f32")));
            assertTrue(err < 2e-2, "float16 rounding only: " + err);
            assertTrue(out[1].maxAbsDiff(out[0]) < 1e-5);
        }
    }

    @Test
    void rankZeroFloatTimestep() throws Exception {
        Path model = ModelVariants.write(tmp, "scalar-t", ModelVariants::scalarTimestep, false);
        try (UnetStage stage = load(model, tmp.resolve("graphs"))) {
            FloatTensor[] out = fullAndShallow(stage, "unet_0"); // batch 2, t = 981 for both
            assertTrue(out[0].maxAbsDiff(tensor(TinyUnet.unetCase("unet_0").resolve("out_sample.f32"))) < 2e-5);
            assertTrue(out[1].maxAbsDiff(out[0]) < 1e-5);
            UnetStageTest.assertInvalid(() -> fullAndShallow(stage, "unet_2"), "one timestep for the whole batch");
        }
    }

    @Test
    void derivedGraphsGoBesideAWritableSourceElseToTheUserCache() throws Exception {
        Path writable = Files.createDirectories(tmp.resolve("m/unet"));
        assertEquals(writable.resolve(".sdserve-graphs"), DerivedGraphs.forSource(Optional.empty(), writable).root());
        // A folder without write bits is read-only even for root (CI runs as root with ../shared r-x).
        Path readOnly = Files.createDirectories(tmp.resolve("ro/unet"));
        Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path root = DerivedGraphs.forSource(Optional.empty(), readOnly).root();
            assertTrue(root.endsWith(Path.of("sdserve", "graphs")), root.toString());
            assertFalse(root.startsWith(readOnly));
        } finally {
            Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path shared = SharedFixtures.tinyModel().resolve("unet");
        assertFalse(DerivedGraphs.forSource(Optional.empty(), shared).root().startsWith(SharedFixtures.dir()),
                "derived graphs must never go under ../shared");
    }
}
