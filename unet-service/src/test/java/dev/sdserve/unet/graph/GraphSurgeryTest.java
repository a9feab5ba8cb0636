package dev.sdserve.unet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GraphSurgeryTest {
    static ModelProto model;
    static GraphIndex index;

    @BeforeAll
    static void parse() {
        Path unet = SharedFixtures.tinyModel().resolve("unet/model.onnx");
        model = DerivedGraphs.parse(unet);
        index = new GraphIndex(model.getGraph());
    }

    @Test
    void branchZeroCutsTheOutputOfUpBlock3Attention1() {
        CutFinder.Cut cut = CutFinder.find(index, 0, Optional.empty());
        assertEquals("/up_blocks.3/attentions.1/Add_output_0", cut.tensor());
        assertEquals("/up_blocks.3/Concat_2", cut.concatNode());
    }

    @Test
    void everyBranchCutsTheUpPathOperandOfItsResnet() {
        Set<String> tensors = new HashSet<>();
        for (int b = 0; b <= CutFinder.MAX_BRANCH; b++) {
            CutFinder.Cut cut = CutFinder.find(index, b, Optional.empty());
            int block = 3 - b / 3;
            int layer = 2 - b % 3;
            NodeProto concat = index.node(index.producerOf(index.node(index.consumersOf(cut.tensor()).get(0)).getOutput(0)));
            assertEquals(cut.concatNode(), concat.getName());
            assertTrue(index.consumersOf(concat.getOutput(0)).stream()
                    .anyMatch(i -> index.node(i).getName().startsWith("/up_blocks." + block + "/resnets." + layer + "/")));
            // the cached operand comes from the up path, never from conv_in or a down block
            String producer = index.node(index.producerOf(cut.tensor())).getName();
            assertFalse(producer.startsWith("/down_blocks.") || producer.startsWith("/conv_in/"), producer);
            assertTrue(tensors.add(cut.tensor()), "branch " + b + " repeats " + cut.tensor());
        }
        // branch 1: output of up_blocks.3.attentions.0; 2: of up_blocks.2's upsampler; 3: of up_blocks.2.attentions.1
        assertEquals("/up_blocks.3/attentions.0/Add_output_0", CutFinder.find(index, 1, Optional.empty()).tensor());
        assertTrue(CutFinder.find(index, 2, Optional.empty()).tensor().startsWith("/up_blocks.2/upsamplers.0/"));
        assertEquals("/up_blocks.2/attentions.1/Add_output_0", CutFinder.find(index, 3, Optional.empty()).tensor());
    }

    @Test
    void shallowGraphIsTheBackwardSliceOnnxExtractorGives() {
        ModelProto shallow = GraphSurgery.shallow(model, index, "/up_blocks.3/attentions.1/Add_output_0");
        assertEquals(323, shallow.getGraph().getNodeCount());
        List<String> inputs = shallow.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList();
        assertEquals(List.of("sample", "timestep", "encoder_hidden_states", "/up_blocks.3/attentions.1/Add_output_0"), inputs);
        assertEquals(List.of("out_sample"), shallow.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals(1, shallow.getGraph().getInput(3).getType().getTensorType().getElemType()); // FLOAT
        Set<String> names = new HashSet<>();
        shallow.getGraph().getNodeList().forEach(n -> names.add(n.getName()));
        assertTrue(names.contains("/up_blocks.3/resnets.2/conv1/Conv"));
        assertTrue(names.contains("/conv_out/Conv"));
        assertFalse(names.stream().anyMatch(n -> n.startsWith("/mid_block/") || n.startsWith("/up_blocks.3/attentions.1/")));
        // every initializer kept is used, and far fewer than the full graph's
        assertTrue(shallow.getGraph().getInitializerCount() < model.getGraph().getInitializerCount() / 3);
    }

    @Test
    void fullGraphAddsTheCacheTensorAsAnOutput() {
        ModelProto full = GraphSurgery.full(model, index, "/up_blocks.3/attentions.1/Add_output_0");
        assertEquals(model.getGraph().getNodeCount(), full.getGraph().getNodeCount());
        assertEquals(List.of("out_sample", "/up_blocks.3/attentions.1/Add_output_0"),
                full.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList());
    }

    @Test
    void explicitTensorAndMissingCutFailClearly() {
        String t = "/up_blocks.3/attentions.0/Add_output_0";
        assertEquals(t, CutFinder.find(index, 5, Optional.of(t)).tensor());
        SdException bad = assertThrows(SdException.class, () -> CutFinder.find(index, 0, Optional.of("nope")));
        assertTrue(bad.getMessage().contains("sd.unet.cache-tensor 'nope'"), bad.getMessage());
        ModelProto.Builder renamed = model.toBuilder();
        for (int i = 0; i < renamed.getGraph().getNodeCount(); i++) {
            NodeProto n = renamed.getGraph().getNode(i);
            renamed.getGraphBuilder().setNode(i, n.toBuilder().setName(n.getName().replace("/up_blocks.", "/decoder.")));
        }
        SdException missing = assertThrows(SdException.class,
                () -> CutFinder.find(new GraphIndex(renamed.getGraph()), 0, Optional.empty()));
        assertTrue(missing.getMessage().contains("/up_blocks.3/resnets.2/"), missing.getMessage());
        assertTrue(missing.getMessage().contains("sd.unet.cache-tensor"), missing.getMessage());
        assertEquals(SdException.Kind.INVALID_ARGUMENT,
                assertThrows(SdException.class, () -> CutFinder.find(index, 12, Optional.empty())).kind());
    }
}
