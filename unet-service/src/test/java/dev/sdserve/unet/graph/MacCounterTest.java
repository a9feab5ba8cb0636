package dev.sdserve.unet.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MacCounterTest {
    @TempDir
    Path tmp;

    @Test
    void perNodeFormulas() {
        NodeProto conv = NodeProto.newBuilder().setOpType("Conv").addInput("x").addInput("w").addOutput("y").build();
        assertEquals(2L * 32 * 16 * 16 * 4 * 3 * 3, MacCounter.macs(conv, Map.of("x", new long[] {2, 4, 16, 16},
                "w", new long[] {32, 4, 3, 3}, "y", new long[] {2, 32, 16, 16})));
        NodeProto matmul = NodeProto.newBuilder().setOpType("MatMul").addInput("a").addInput("b").addOutput("c").build();
        assertEquals(8L * 64 * 40 * 77, MacCounter.macs(matmul, Map.of("a", new long[] {8, 64, 40},
                "b", new long[] {8, 40, 77}, "c", new long[] {8, 64, 77})));
    }

    @Test
    void quadraticFitFromSmallProbesIsExactAtLargerSizes() throws Exception {
        ModelProto source = DerivedGraphs.parse(SharedFixtures.tinyModel().resolve("unet/model.onnx"));
        ModelProto model = WeightsFile.externalize(source, tmp.resolve(DerivedGraphs.WEIGHTS));
        GraphIndex index = new GraphIndex(model.getGraph());
        String cut = CutFinder.find(index, 0, java.util.Optional.empty()).tensor();
        ModelProto full = GraphSurgery.full(model, index, cut);
        Set<String> shallow = new HashSet<>();
        GraphSurgery.shallow(model, index, cut).getGraph().getNodeList().forEach(n -> shallow.add(GraphIndex.keyOf(n)));
        MacCounter.ProbeShape shape = new MacCounter.ProbeShape(4, 77, 32);
        long[][] direct = MacCounter.measure(full, tmp, shallow, shape, 32, 40);
        MacCounter.Macs fit32 = MacCounter.count(full, tmp, shallow, shape, 32);
        MacCounter.Macs fit40 = MacCounter.count(full, tmp, shallow, shape, 40);
        assertArrayEquals(direct[0], new long[] {fit32.full(), fit32.shallow()});
        assertArrayEquals(direct[1], new long[] {fit40.full(), fit40.shallow()});
        assertTrue(fit32.full() > 3 * fit32.shallow());
    }
}
