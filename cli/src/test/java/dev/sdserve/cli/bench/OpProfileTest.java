package dev.sdserve.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import org.junit.jupiter.api.Test;

/** Sums of an ONNX Runtime trace in the format its profiler writes, against sums worked out by hand. */
class OpProfileTest {

    /** Two runs: the first (warm-up) is left out; the second's nodes are summed by op, block and category. */
    @Test
    void sumsTheRunsAfterTheFirstByOpBlockAndCategory() {
        ArrayNode events = Json.MAPPER.createArrayNode();
        session(events, "model_loading_uri", 0, 5_000);
        session(events, "model_run", 10_000, 9_000);
        node(events, "/down_blocks.0/resnets.0/conv1/Conv", "FusedConv", 10_100, 8_000);
        session(events, "model_run", 30_000, 1_000);
        node(events, "/down_blocks.0/resnets.0/conv1/Conv", "FusedConv", 30_010, 400);
        node(events, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/MatMul", "MatMul", 30_420, 100);
        node(events, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul", "MatMul", 30_530, 50);
        node(events, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/Softmax", "Softmax", 30_600, 200);
        node(events, "ReorderOutput_token_3", "ReorderOutput", 30_810, 30);
        // fences are not kernels
        events.addObject().put("cat", "Node").put("name", "/conv_in/Conv_fence_before").put("ts", 30_005).put("dur", 0);

        OpProfile p = OpProfile.of(events, "unet full (branch 0)");

        assertEquals(1, p.runs());
        assertEquals(1.0, p.runMs(), 1e-12);
        assertEquals(0.78, p.kernelMs(), 1e-12); // 400 + 100 + 50 + 200 + 30 µs
        assertEquals(0.4, p.byOp().get("FusedConv"), 1e-12);
        assertEquals(0.15, p.byOp().get("MatMul"), 1e-12);
        assertEquals("FusedConv", p.byOp().keySet().iterator().next(), "largest first");
        assertEquals(0.4, p.byBlock().get("down_blocks.0/resnets"), 1e-12);
        assertEquals(0.35, p.byBlock().get("down_blocks.0/attentions"), 1e-12);
        assertEquals(0.03, p.byBlock().get("(added by ORT)"), 1e-12);
        assertEquals(0.4, p.byCategory().get(OpProfile.Category.CONV), 1e-12);
        assertEquals(0.1, p.byCategory().get(OpProfile.Category.ATTENTION_MATMUL), 1e-12);
        assertEquals(0.05, p.byCategory().get(OpProfile.Category.LINEAR), 1e-12);
        assertEquals(0.2, p.byCategory().get(OpProfile.Category.SOFTMAX), 1e-12);
        assertEquals(0.03, p.byCategory().get(OpProfile.Category.MEMORY), 1e-12);
        assertEquals(p.kernelMs(), p.byCategory().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-12);
    }

    @Test
    void theFirstTwoOfFourOrMoreRunsAreLeftOut() {
        assertEquals(0, OpProfile.warmUpRuns(1));
        assertEquals(1, OpProfile.warmUpRuns(2));
        assertEquals(1, OpProfile.warmUpRuns(3));
        assertEquals(2, OpProfile.warmUpRuns(4));
        ArrayNode events = Json.MAPPER.createArrayNode();
        long[] durations = {7_000, 11_000, 1_000, 3_000};
        for (int i = 0; i < durations.length; i++) {
            session(events, "model_run", i * 20_000L, durations[i]);
            node(events, "/mid_block/resnets.0/conv1/Conv", "Conv", i * 20_000L + 10, durations[i] - 100);
        }
        OpProfile p = OpProfile.of(events, "unet full (branch 0)");
        assertEquals(2, p.runs());
        assertEquals(2.0, p.runMs(), 1e-12);
        assertEquals(1.9, p.kernelMs(), 1e-12);
    }

    @Test
    void aSingleRunIsKept() {
        ArrayNode events = Json.MAPPER.createArrayNode();
        session(events, "model_run", 0, 2_000);
        node(events, "/decoder/mid_block/attentions.0/MatMul", "MatMul", 10, 1_500);
        OpProfile p = OpProfile.of(events, "vae_decoder");
        assertEquals(1, p.runs());
        assertEquals(2.0, p.runMs(), 1e-12);
        assertEquals(1.5, p.byCategory().get(OpProfile.Category.ATTENTION_MATMUL), 1e-12);
        assertEquals(1.5, p.byBlock().get("decoder/mid_block"), 1e-12);
    }

    @Test
    void blocksAndCategoriesFollowTheModulePath() {
        assertEquals("up_blocks.3/attentions", OpProfile.block("/up_blocks.3/attentions.2/proj_out/Conv"));
        assertEquals("mid_block/resnets", OpProfile.block("/mid_block/resnets.1/conv2/Conv"));
        assertEquals("time_embedding", OpProfile.block("/time_embedding/linear_1/Gemm"));
        assertEquals("conv_in", OpProfile.block("/conv_in/Conv"));
        assertEquals("(added by ORT)", OpProfile.block("reorder_token_12"));
        assertTrue(OpProfile.isAttentionProduct("/up_blocks.1/attentions.0/transformer_blocks.0/attn2/MatMul_1"));
        assertFalse(OpProfile.isAttentionProduct("/up_blocks.1/attentions.0/transformer_blocks.0/attn2/to_k/MatMul"));
        // ONNX Runtime's MatMul+Mul fusion keeps the original name and appends its own
        assertTrue(OpProfile.isAttentionProduct(
                "/up_blocks.3/attentions.2/transformer_blocks.0/attn1/MatMul/MatMulScaleFusion/"));
        assertEquals(OpProfile.Category.ATTENTION_MATMUL, OpProfile.category("FusedMatMul",
                "/up_blocks.3/attentions.2/transformer_blocks.0/attn1/MatMul/MatMulScaleFusion/"));
        assertFalse(OpProfile.isAttentionProduct("/up_blocks.1/attentions.0/transformer_blocks.0/ff/net.2/MatMul"));
        assertEquals(OpProfile.Category.NORM, OpProfile.category("InstanceNormalization", "/x/norm1/InstanceNormalization"));
        assertEquals(OpProfile.Category.ELEMENTWISE, OpProfile.category("Sigmoid", "/x/Sigmoid"));
        assertEquals(OpProfile.Category.OTHER, OpProfile.category("SomethingNew", "/x/SomethingNew"));
    }

    /** File names as OrtSessions' profile prefix and ONNX Runtime's timestamp make them. */
    @Test
    void graphNamesComeFromTheProfileFileNames() {
        assertEquals("unet full (branch 1)", OpProfile.graphName(
                "274e2af77d06bb9d003294263260182f-full-v3-full_2026-12-06_06-29-07_290.json", 1));
        assertEquals("unet shallow b1", OpProfile.graphName(
                "274e2af77d06bb9d003294263260182f-b1-v3-shallow_2026-12-06_06-29-11_121.json", 1));
        assertEquals("unet shallow b10", OpProfile.graphName("abc-b10-shallow_2026-12-06_06-29-11_121.json", 10));
        assertEquals("vae_decoder", OpProfile.graphName("vae_decoder-model_2026-12-06_06-29-08_870.json", 0));
        assertEquals("text_encoder_2", OpProfile.graphName("text_encoder_2-model_2026-12-06_06-29-08_870.json", 0));
    }

    /** {@code sd op-profile DIR} on a folder as sd bench leaves it: the tables, named after the graphs. */
    @Test
    void opProfileCommandSumsAFolderOfTraces(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        ArrayNode events = Json.MAPPER.createArrayNode();
        session(events, "model_run", 0, 1_000);
        session(events, "model_run", 2_000, 1_000);
        node(events, "/up_blocks.3/resnets.0/conv1/Conv", "Conv", 2_010, 600);
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("branch1"));
        Json.MAPPER.writeValue(dir.resolve("0123-full-v3-full_2026-12-06_06-29-07_290.json").toFile(), events);

        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = dev.sdserve.cli.SdCli.commandLine();
        cl.setOut(new java.io.PrintWriter(out, true)).setErr(new java.io.PrintWriter(err, true));
        assertEquals(0, cl.execute("op-profile", dir.toString()), err::toString);
        String md = out.toString();
        assertTrue(md.contains("| per call | unet full (branch 1) |"), md);
        assertTrue(md.contains("| ORT run, ms | 1.0 |"), md);
        assertTrue(md.contains("| convolution | 0.6 (100%) |"), md);
        assertTrue(md.contains("| up_blocks.3/resnets | 0.6 (100%) |"), md);

        java.nio.file.Path empty = java.nio.file.Files.createDirectories(tmp.resolve("empty"));
        assertEquals(2, cl.execute("op-profile", empty.toString()));
        assertTrue(err.toString().contains("DIR: no ONNX Runtime traces"), err.toString());
    }

    private static void session(ArrayNode events, String name, long ts, long dur) {
        events.addObject().put("cat", "Session").put("pid", 1).put("tid", 1).put("dur", dur).put("ts", ts)
                .put("ph", "X").put("name", name).putObject("args");
    }

    private static void node(ArrayNode events, String node, String op, long ts, long dur) {
        ObjectNode e = events.addObject().put("cat", "Node").put("pid", 1).put("tid", 1).put("dur", dur).put("ts", ts)
                .put("ph", "X").put("name", node + "_kernel_time");
        e.putObject("args").put("op_name", op).put("provider", "CPUExecutionProvider");
    }
}
