package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the DeepCache cut: the tensor a full step caches for cache branch b.
 *
 * <p>DeepCacheSDHelper (horseee/DeepCache) splits branch b into block b/3 and layer b%3, counted from the
 * output side, so the first up-path layer that still runs in a shallow step is {@code up_blocks[3 - b/3]
 * .resnets[2 - b%3]}. Its input is {@code cat([hidden_states, res_hidden_states], dim=1)}; the cached feature
 * is the up-path operand ({@code hidden_states}), the skip connection being recomputed every step. In a
 * TorchScript export that is a Concat named under {@code /up_blocks.{i}/} whose output feeds nodes named
 * {@code /up_blocks.{i}/resnets.{j}/...}.
 */
public final class CutFinder {
    public static final int MAX_BRANCH = 11;

    /** The cut: the tensor to cache and, when the finder located it, the Concat that consumes it. */
    public record Cut(int branch, String tensor, String concatNode) {
    }

    private CutFinder() {
    }

    /** Finds the cut for {@code branch}, or takes {@code explicitTensor} (config) when given. */
    public static Cut find(GraphIndex g, int branch, Optional<String> explicitTensor) {
        SdException.require(branch >= 0 && branch <= MAX_BRANCH,
                "cache_branch: " + branch + " is out of range 0.." + MAX_BRANCH);
        if (explicitTensor.isPresent() && !explicitTensor.get().isBlank()) {
            String t = explicitTensor.get().trim();
            if (!g.isProduced(t)) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "sd.unet.cache-tensor '" + t
                        + "' is not the output of any node of the UNet graph");
            }
            return new Cut(branch, t, "");
        }
        int block = 3 - branch / 3;
        int layer = 2 - branch % 3;
        String blockPrefix = "/up_blocks." + block + "/";
        String resnetPrefix = blockPrefix + "resnets." + layer + "/";
        List<NodeProto> concats = concatsFeeding(g, blockPrefix, resnetPrefix);
        if (concats.size() != 1) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot find the DeepCache cut for cache"
                    + " branch " + branch + ": looked for one Concat (axis 1) named under " + blockPrefix
                    + " whose output feeds nodes named " + resnetPrefix + "..., found " + concats.size()
                    + (concats.isEmpty() ? "" : " " + concats.stream().map(NodeProto::getName).toList())
                    + "; for exports named otherwise set sd.unet.cache-tensor to the tensor to cache");
        }
        NodeProto concat = concats.get(0);
        return new Cut(branch, upPathInput(g, concat), concat.getName());
    }

    private static List<NodeProto> concatsFeeding(GraphIndex g, String blockPrefix, String resnetPrefix) {
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : g.graph().getNodeList()) {
            if (!n.getOpType().equals("Concat") || !n.getName().startsWith(blockPrefix)
                    || n.getName().startsWith(resnetPrefix) || n.getInputCount() < 2
                    || GraphIndex.intAttribute(n, "axis", 0) != 1) {
                continue;
            }
            boolean feedsResnet = g.consumersOf(n.getOutput(0)).stream()
                    .anyMatch(i -> g.node(i).getName().startsWith(resnetPrefix));
            if (feedsResnet) out.add(n);
        }
        return out;
    }

    /**
     * The up-path operand of the Concat. Skip connections come from conv_in or the down blocks; when the names
     * do not tell exactly one operand apart, diffusers' operand order (hidden_states first) decides.
     */
    private static String upPathInput(GraphIndex g, NodeProto concat) {
        List<String> upPath = new ArrayList<>();
        for (String in : concat.getInputList()) {
            int p = g.producerOf(in);
            String producer = p < 0 ? "" : g.node(p).getName();
            if (!producer.startsWith("/down_blocks.") && !producer.startsWith("/conv_in/")) upPath.add(in);
        }
        return upPath.size() == 1 ? upPath.get(0) : concat.getInput(0);
    }
}
