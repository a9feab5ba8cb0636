package dev.sdserve.unet;

import dev.sdserve.proto.v1.Tensor;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Benchmark (a main, not a test): per-step time spent outside {@code session.run} for batch 2 at 64x64 latents
 * on tiny-sd15, for FULL and SHALLOW steps. "domain" is the step minus the run (tensor wrapping, timestep,
 * feature store, output copy); "with proto" adds decoding the request sample and encoding the reply.
 * Run: {@code java -cp <test classpath> dev.sdserve.unet.StepOverheadBenchmark [steps]}.
 */
public final class StepOverheadBenchmark {
    private StepOverheadBenchmark() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        ModelRoots roots = new ModelRoots(List.of(SharedFixtures.modelsRoot()), "tiny-sd15");
        try (DenoiseSessions sessions = new DenoiseSessions(roots, RuntimeOptions.defaults(),
                TinyUnet.settings(TinyUnet.GRAPHS, 1L << 30, Duration.ofMinutes(10), 4), 1)) {
            Random rnd = new Random(0);
            float[] x = new float[2 * 4 * 64 * 64];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] e = new float[2 * 77 * 32];
            for (int i = 0; i < e.length; i++) e[i] = (float) rnd.nextGaussian();
            Tensor request = TensorCodec.toProto(FloatTensor.of(new long[] {2, 4, 64, 64}, x));
            try (DenoiseSession s = sessions.open("", FloatTensor.of(new long[] {2, 77, 32}, e), 0)) {
                for (DenoiseSession.Mode mode : DenoiseSession.Mode.values()) {
                    measure(s, request, mode, steps / 4); // warm-up
                    double[][] r = measure(s, request, mode, steps);
                    System.out.printf("%-7s batch 2, 64x64: run median %.3f ms; overhead outside run: domain median %.4f ms"
                                    + " (p90 %.4f), with proto decode/encode median %.4f ms (p90 %.4f)%n", mode,
                            median(r[0]), median(r[1]), pct(r[1], 0.9), median(r[2]), pct(r[2], 0.9));
                }
            }
            System.out.println("feature store: " + sessions.store().stats());
        }
    }

    /** {run ms, step - run ms, (decode + step + encode) - run ms} per step. */
    private static double[][] measure(DenoiseSession s, Tensor request, DenoiseSession.Mode mode, int steps) {
        double[][] out = new double[3][steps];
        if (mode == DenoiseSession.Mode.SHALLOW) s.step(TensorCodec.fromProto(request, "sample"), 500, DenoiseSession.Mode.FULL);
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            FloatTensor sample = TensorCodec.fromProto(request, "sample");
            DenoiseSession.StepResult r = s.step(sample, 500, mode);
            Tensor reply = TensorCodec.toProto(r.noisePred());
            double total = (System.nanoTime() - t0) / 1e6;
            if (reply.getShapeCount() != 4 || r.modeRun() != mode) throw new IllegalStateException("unexpected " + r);
            out[0][i] = r.runMs();
            out[1][i] = r.serverMs() - r.runMs();
            out[2][i] = total - r.runMs();
        }
        return out;
    }

    private static double median(double[] v) {
        return pct(v, 0.5);
    }

    private static double pct(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(p * s.length))];
    }
}
