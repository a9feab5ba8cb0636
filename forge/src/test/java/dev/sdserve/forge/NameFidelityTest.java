package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A forged model at tiny-sd15's exact topology must look like tiny-sd15 to every name-based lookup: the DeepCache
 * cut of each branch, the consumers around the cut, and the module prefixes of node names.
 */
class NameFidelityTest {
    @TempDir
    static Path tmp;
    static Path forged;

    @BeforeAll
    static void forge() {
        SharedFixtures.assume();
        forged = Forge.forge(ReferenceDims.TINY_SD15, 0, tmp.resolve("tiny-forged"), ForgeOptions.defaults()).dir();
    }

    private static GraphProto graph(Path root, String part) throws Exception {
        return Onnx.graph(root.resolve(part).resolve("model.onnx"));
    }

    @Test
    void everyCacheBranchIsCutAtTheSameConcatWithTheSameUpPathInput() throws Exception {
        GraphProto ref = graph(SharedFixtures.tinyModel(), Forge.UNET);
        GraphProto ours = graph(forged, Forge.UNET);
        assertEquals("/up_blocks.3/attentions.1/Add_output_0", cut(ref, 0).getInput(0));
        for (int b = 0; b < 12; b++) {
            NodeProto r = cut(ref, b);
            NodeProto o = cut(ours, b);
            assertEquals(r.getName(), o.getName(), "branch " + b + " concat");
            assertEquals(r.getInputList(), o.getInputList(), "branch " + b + " concat inputs");
            assertEquals(names(Onnx.consumers(ref, r.getInput(0))), names(Onnx.consumers(ours, o.getInput(0))),
                    "branch " + b + ": consumers of the cached tensor");
            assertEquals(names(Onnx.consumers(ref, r.getOutput(0))), names(Onnx.consumers(ours, o.getOutput(0))),
                    "branch " + b + ": consumers of the concat");
        }
        assertEquals(names(Onnx.consumers(ref, "/conv_in/Conv_output_0")),
                names(Onnx.consumers(ours, "/conv_in/Conv_output_0")), "consumers of conv_in");
    }

    @Test
    void deepCachePartialGraphOfBranchZeroSpansTheSameModules() throws Exception {
        GraphProto ref = graph(SharedFixtures.tinyModel(), Forge.UNET);
        GraphProto ours = graph(forged, Forge.UNET);
        Set<String> refModules = prefixes(partialGraph(ref, "/up_blocks.3/attentions.1/Add_output_0"));
        Set<String> ourModules = prefixes(partialGraph(ours, "/up_blocks.3/attentions.1/Add_output_0"));
        // The one known difference: the exporter computes batch = Shape(encoder_hidden_states)[0] once, in the first
        // attn2, and every attention reshape uses it; the forge's reshapes copy the batch dim (Reshape's 0) instead.
        assertTrue(refModules.remove("/down_blocks.0/attentions.0/transformer_blocks.0/attn2"));
        assertEquals(refModules, ourModules);
        assertTrue(ourModules.contains("/down_blocks.0/resnets.0/nonlinearity_1"), "shared SiLU(temb) is in the partial graph");
        assertTrue(ourModules.stream().noneMatch(m -> m.startsWith("/mid_block") || m.startsWith("/up_blocks.2")));
    }

    /** Nodes needed for out_sample given the graph inputs and the cached tensor (onnx.utils.Extractor's set). */
    static List<NodeProto> partialGraph(GraphProto g, String cached) {
        Map<String, NodeProto> producer = new HashMap<>();
        g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of("out_sample"));
        List<NodeProto> nodes = new ArrayList<>();
        while (!todo.isEmpty()) {
            String t = todo.pop();
            NodeProto n = producer.get(t);
            if (t.equals(cached) || n == null || !seen.add(n.getName())) continue;
            nodes.add(n);
            n.getInputList().forEach(todo::push);
        }
        return nodes;
    }

    private static Set<String> prefixes(List<NodeProto> nodes) {
        return Onnx.modulePrefixes(GraphProto.newBuilder().addAllNode(nodes).build());
    }

    @Test
    void unetModulePrefixesOfTinySd15AllExist() throws Exception {
        Set<String> ref = Onnx.modulePrefixes(graph(SharedFixtures.tinyModel(), Forge.UNET));
        Set<String> ours = Onnx.modulePrefixes(graph(forged, Forge.UNET));
        report("unet", ref, ours);
        Set<String> missing = new TreeSet<>(ref);
        missing.removeAll(ours);
        missing.removeIf(p -> !p.matches("/(up_blocks|mid_block|down_blocks|conv_in|time_embedding|time_proj|conv_norm_out|conv_act|conv_out).*"));
        assertTrue(missing.isEmpty(), "module prefixes of tiny-sd15 missing from the forged UNet: " + missing);
    }

    @Test
    void textAndVaeModulePrefixesOfTinySd15AllExist() throws Exception {
        for (String part : List.of(Forge.TEXT_ENCODER, Forge.VAE_ENCODER, Forge.VAE_DECODER)) {
            Set<String> ref = Onnx.modulePrefixes(graph(SharedFixtures.tinyModel(), part));
            Set<String> ours = Onnx.modulePrefixes(graph(forged, part));
            report(part, ref, ours);
            Set<String> missing = new TreeSet<>(ref);
            missing.removeAll(ours);
            assertTrue(missing.isEmpty(), part + ": module prefixes missing from the forged model: " + missing);
        }
    }

    @Test
    void initializerNamesInPyTorchLayoutAreTheSame() throws Exception {
        for (String part : List.of(Forge.TEXT_ENCODER, Forge.UNET, Forge.VAE_ENCODER, Forge.VAE_DECODER)) {
            Set<String> ref = moduleInitializers(graph(SharedFixtures.tinyModel(), part));
            Set<String> ours = moduleInitializers(graph(forged, part));
            // the exporter drops some duplicate norm parameters in favour of Identity nodes; all others are alike
            Set<String> missing = new TreeSet<>(ref);
            missing.removeAll(ours);
            assertTrue(missing.isEmpty(), part + ": initializers missing: " + missing);
        }
    }

    /** The Concat whose output feeds {@code /up_blocks.{3-b/3}/resnets.{2-b%3}/}: DeepCache branch b's cut. */
    static NodeProto cut(GraphProto g, int branch) {
        String resnet = "/up_blocks." + (3 - branch / 3) + "/resnets." + (2 - branch % 3) + "/";
        List<NodeProto> found = g.getNodeList().stream().filter(n -> n.getOpType().equals("Concat"))
                .filter(n -> Onnx.consumers(g, n.getOutput(0)).stream().anyMatch(c -> c.getName().startsWith(resnet)))
                .toList();
        assertEquals(1, found.size(), "one concat feeds " + resnet);
        return found.get(0);
    }

    private static Set<String> names(List<NodeProto> nodes) {
        return nodes.stream().map(NodeProto::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> moduleInitializers(GraphProto g) {
        return g.getInitializerList().stream().map(t -> t.getName()).filter(n -> !n.startsWith("onnx::"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static void report(String part, Set<String> ref, Set<String> ours) {
        Set<String> onlyRef = new TreeSet<>(ref);
        onlyRef.removeAll(ours);
        Set<String> onlyOurs = new TreeSet<>(ours);
        onlyOurs.removeAll(ref);
        System.out.printf("%s module prefixes: tiny-sd15 %d, forged %d; only in tiny-sd15 %s; only in forged %s%n",
                part, ref.size(), ours.size(), onlyRef, onlyOurs);
    }
}
