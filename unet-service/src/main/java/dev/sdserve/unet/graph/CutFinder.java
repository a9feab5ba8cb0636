package dev.sdserve.unet.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the DeepCache cut: the tensor a full step caches for cache branch b.
 *
 * <p>DeepCacheSDHelper (horseee/DeepCache) splits branch b into block b/3 and layer b%3, counted from the
 * output side, so with n up blocks the first up-path layer that still runs in a shallow step is
 * {@code up_blocks[n-1 - b/3].resnets[2 - b%3]} (n = 4 on SD 1.x/2.x, 3 on SDXL, whose last up block has no
 * attention). Its input is {@code cat([hidden_states, res_hidden_states], dim=1)}; the cached feature is the
 * up-path operand ({@code hidden_states}), the skip connection being recomputed every step. In a TorchScript
 * export that is a Concat named under {@code /up_blocks.{i}/} whose output feeds nodes named
 * {@code /up_blocks.{i}/resnets.{j}/...}. Branches run 0..3n-1.
 */
public final class CutFinder {
    /** The largest branch of any family (SD 1.x/2.x: 4 up blocks); a model's own range is {@link #branches}. */
    public static final int MAX_BRANCH = 11;
    /** Up blocks assumed when the graph's node names tell none (exports named otherwise). */
    static final int DEFAULT_UP_BLOCKS = 4;
    private static final Pattern UP_BLOCK = Pattern.compile("^/up_blocks\\.(\\d+)/");

    /** The cut: the tensor to cache and, when the finder located it, the Concat that consumes it. */
    public record Cut(int branch, String tensor, String concatNode) {
    }

    private CutFinder() {
    }

    /** The number of up blocks, from the node names ({@code /up_blocks.{i}/...}); 4 when no node is named so. */
    public static int upBlocks(GraphIndex g) {
        int n = 0;
        for (NodeProto node : g.graph().getNodeList()) {
            Matcher m = UP_BLOCK.matcher(node.getName());
            if (m.find()) n = Math.max(n, Integer.parseInt(m.group(1)) + 1);
        }
        return n == 0 ? DEFAULT_UP_BLOCKS : n;
    }

    /** The cache branches the graph has: 3 per up block. */
    public static int branches(GraphIndex g) {
        return 3 * upBlocks(g);
    }

    /** INVALID_ARGUMENT naming cache_branch unless {@code 0 <= branch < 3 * upBlocks}. */
    public static void checkBranch(int branch, int upBlocks) {
        SdException.require(branch >= 0 && branch < 3 * upBlocks, "cache_branch: " + branch + " is out of range 0.."
                + (3 * upBlocks - 1) + " (this UNet has " + upBlocks + " up blocks, 3 branches each)");
    }

    /** Finds the cut for {@code branch}, or takes {@code explicitTensor} (config) when given. */
    public static Cut find(GraphIndex g, int branch, Optional<String> explicitTensor) {
        int n = upBlocks(g);
        checkBranch(branch, n);
        if (explicitTensor.isPresent() && !explicitTensor.get().isBlank()) {
            String t = explicitTensor.get().trim();
            if (!g.isProduced(t)) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "sd.unet.cache-tensor '" + t
                        + "' is not the output of any node of the UNet graph");
            }
            return new Cut(branch, t, "");
        }
        int block = n - 1 - branch / 3;
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
