package dev.sdserve.cli.bench;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The machine's fp32 GEMM rate as ONNX Runtime delivers it: a one-node MatMul graph, built in memory, on two
 * random n x n matrices, with the benchmark's runtime options (threads). The best of a few runs after a
 * warm-up is the peak the UNet's own rate is compared with.
 */
final class GemmPeak {
    private static final int RUNS = 5;

    private GemmPeak() {
    }

    /** GFLOP/s (2 n^3 flops per run) of the fastest of {@value #RUNS} runs. */
    static double gflops(int n, RuntimeOptions options) {
        SdException.require(n >= 16, "gemm side must be at least 16, got " + n);
        try (OrtSessions.Loaded loaded = OrtSessions.open(matMul(n).toByteArray(), Path.of("."), Path.of("gemm-probe"),
                options, o -> { });
             OnnxTensor a = random(n, 1);
             OnnxTensor b = random(n, 2)) {
            OrtSession session = loaded.session();
            Map<String, OnnxTensor> inputs = Map.of("A", a, "B", b);
            session.run(inputs).close(); // warm-up: packs, allocates
            double best = Double.MAX_VALUE;
            for (int i = 0; i < RUNS; i++) {
                long t0 = System.nanoTime();
                session.run(inputs).close();
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best / 1e9;
        } catch (OrtException e) {
            throw SdException.internal("GEMM probe failed: " + e.getMessage(), e);
        }
    }

    /** Y = MatMul(A, B) with A, B float [n, n]. */
    static ModelProto matMul(int n) {
        GraphProto graph = GraphProto.newBuilder().setName("gemm_peak")
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("matmul").addInput("A").addInput("B").addOutput("Y"))
                .addInput(square("A", n)).addInput(square("B", n)).addOutput(square("Y", n)).build();
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("sdserve-bench")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(graph).build();
    }

    private static ValueInfoProto square(String name, int n) {
        TensorShapeProto.Dimension d = TensorShapeProto.Dimension.newBuilder().setDimValue(n).build();
        TypeProto.Tensor t = TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber())
                .setShape(TensorShapeProto.newBuilder().addDim(d).addDim(d)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }

    private static OnnxTensor random(int n, long seed) throws OrtException {
        FloatBuffer values = ByteBuffer.allocateDirect(n * n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n * n; i++) values.put(i, (float) random.nextDouble(-1, 1));
        return OnnxTensor.createTensor(OrtSessions.env(), values, new long[] {n, n});
    }
}
