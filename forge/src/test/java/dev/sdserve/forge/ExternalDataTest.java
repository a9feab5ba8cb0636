package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.sdserve.runtime.FloatTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large parts keep their weights in model.onnx_data; ONNX Runtime must load them from there. */
class ExternalDataTest {
    @TempDir
    Path tmp;

    @Test
    void weightsGoToTheDataFileAndOrtLoadsThem() throws Exception {
        ForgeResult r = Forge.forge(new ForgeSpec("sd15", 0.2, 3), tmp.resolve("ext"), new ForgeOptions(1 << 20));
        for (String part : new String[] {Forge.TEXT_ENCODER, Forge.UNET, Forge.VAE_ENCODER, Forge.VAE_DECODER}) {
            Path model = r.dir().resolve(part).resolve(OnnxWriter.MODEL_FILE);
            Path data = r.dir().resolve(part).resolve(OnnxWriter.DATA_FILE);
            long dataSize = Files.size(data);
            assertEquals(r.parameters().get(part) * 4, dataSize, part + " data file holds every parameter");
            assertTrue(Files.size(model) < 2_000_000 && Files.size(model) * 10 < dataSize,
                    part + " graph stays small: " + Files.size(model));
            assertContiguous(Onnx.graph(model), dataSize);
        }
        FloatTensor sample = ForgedPipelineTest.random(5, 1, 4, 16, 16);
        int cross = r.dims().unet().crossAttentionDim();
        FloatTensor out = Onnx.run(r.dir().resolve(Forge.UNET).resolve(OnnxWriter.MODEL_FILE), Map.of(
                "sample", Onnx.floats(sample),
                "timestep", Onnx.floats(FloatTensor.of(new long[] {1}, new float[] {500f})),
                "encoder_hidden_states", Onnx.floats(ForgedPipelineTest.random(6, 1, 77, cross)))).get("out_sample");
        assertArrayEquals(new long[] {1, 4, 16, 16}, out.shape());
        assertTrue(out.allFinite() && Onnx.nonConstant(out));
    }

    /** Every initializer is external, in file order, back to back, covering the whole data file. */
    private static void assertContiguous(GraphProto g, long dataSize) {
        long next = 0;
        for (TensorProto t : g.getInitializerList()) {
            assertEquals(TensorProto.DataLocation.EXTERNAL, t.getDataLocation(), t.getName());
            Map<String, String> ext = t.getExternalDataList().stream()
                    .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
            assertEquals(OnnxWriter.DATA_FILE, ext.get("location"));
            assertEquals(next, Long.parseLong(ext.get("offset")), t.getName());
            long elements = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            assertEquals(elements * 4, Long.parseLong(ext.get("length")), t.getName());
            next += elements * 4;
        }
        assertEquals(dataSize, next);
    }
}
