package dev.sdserve.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.runtime.ExecutionProvider;
import dev.sdserve.runtime.OrtSessions;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SdException;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark's pieces that compute numbers, each against an independent computation. */
class BenchPartsTest {

    @Test
    void psnrOfAKnownError() {
        byte[] a = new byte[4 * 4 * 3];
        byte[] b = a.clone();
        for (int i = 0; i < b.length; i += 2) b[i] = 10; // half the samples off by 10: MSE = 50
        double expected = 10 * Math.log10(255.0 * 255.0 / 50.0);
        assertEquals(expected, Psnr.db(new Png.Rgb(4, 4, b), new Png.Rgb(4, 4, a)), 1e-12);
        assertEquals(Psnr.IDENTICAL_DB, Psnr.db(new Png.Rgb(4, 4, a), new Png.Rgb(4, 4, a.clone())));
        assertThrows(SdException.class, () -> Psnr.db(new Png.Rgb(2, 8, a), new Png.Rgb(4, 4, a)));
    }

    @Test
    void gemmProbeGraphMultipliesMatrices() throws Exception {
        int n = 3;
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] y = {9, 8, 7, 6, 5, 4, 3, 2, 1};
        RuntimeOptions cpu = new RuntimeOptions(ExecutionProvider.CPU, 1, "all");
        try (OrtSessions.Loaded s = OrtSessions.open(GemmPeak.matMul(n).toByteArray(), Path.of("."), Path.of("t"), cpu, o -> { });
             OnnxTensor a = OnnxTensor.createTensor(OrtSessions.env(), FloatBuffer.wrap(x), new long[] {n, n});
             OnnxTensor b = OnnxTensor.createTensor(OrtSessions.env(), FloatBuffer.wrap(y), new long[] {n, n});
             OrtSession.Result r = s.session().run(Map.of("A", a, "B", b))) {
            float[][] got = (float[][]) r.get(0).getValue();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float want = 0;
                    for (int k = 0; k < n; k++) want += x[i * n + k] * y[k * n + j];
                    assertEquals(want, got[i][j], 0f, "Y[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void stepLogSplitsCallsAndTimesByMode() {
        StepLog log = new StepLog();
        log.add(StepMode.FULL, 100);
        log.add(StepMode.SHALLOW, 10);
        log.add(StepMode.SHALLOW, 20);
        StepLog.Counts c = log.counts();
        assertEquals(3, c.calls());
        assertEquals(130, c.runMs(), 1e-12);
        assertEquals(100, c.meanFullMs(), 1e-12);
        assertEquals(15, c.meanShallowMs(), 1e-12);
        // 30 ms of loop time outside the 130 ms in ORT over 3 calls
        RunResult r = new RunResult(200, 160, 5, 30, c, Double.NaN, null, Double.NaN);
        assertEquals(10, r.overheadMsPerStep(), 1e-12);
        log.clear();
        assertEquals(0, log.counts().calls());
    }

    @Test
    void macCeilingWeighsShallowCallsByTheirMacRatio() {
        // 11 full + 40 shallow calls at 6.6 % of a full call's MACs: 51 call-equivalents cost 11 + 2.64
        assertEquals(51 / 13.64, BenchResults.macCeiling(11, 40, 0.066), 1e-12);
        assertEquals(1.0, BenchResults.macCeiling(51, 0, 0.066), 1e-12, "no shallow call, no speedup");
        assertEquals(51.0 / 11, BenchResults.macCeiling(11, 40, 0), 1e-12, "free shallow calls: calls / full calls");
    }

    @Test
    void caseKeysAreTheIssuesAndTheSplitIsN5Branch0() {
        assertEquals(List.of("N2", "N3", "N5", "N5_nonuniform", "N5_branch1"),
                BenchCase.deepCache().stream().map(BenchCase::key).toList());
        assertEquals(5, BenchCase.split().cache().interval());
        assertEquals(0, BenchCase.split().branch());
        assertEquals(1, BenchCase.baseline().cache().interval());
    }

    @Test
    void configsSelectASubsetInReportOrderAndTheSplitAddsN5() {
        assertEquals(List.of("N3", "N5"), keys(BenchCase.select(List.of("N5", "N3"), false)));
        assertEquals(List.of("N2", "N5"), keys(BenchCase.select(List.of("N2"), true)), "the split compares with N5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchCase.select(List.of("N4"), false));
        assertEquals(true, e.getMessage().startsWith("--configs: unknown 'N4'"), e.getMessage());
    }

    private static List<String> keys(List<BenchCase> cases) {
        return cases.stream().map(BenchCase::key).toList();
    }

    @Test
    void chartDrawsEveryGroup() {
        BufferedImage img = BenchChart.draw("t", BenchChart.footnote(3), List.of(new BenchChart.Group("baseline", 1, 1, ""),
                new BenchChart.Group("N5", 3.5, 3.1, "PSNR 30 dB"), new BenchChart.Group("x", Double.NaN, 2, "")));
        assertEquals(BenchChart.WIDTH, img.getWidth());
        assertEquals(BenchChart.HEIGHT, img.getHeight());
    }
}
