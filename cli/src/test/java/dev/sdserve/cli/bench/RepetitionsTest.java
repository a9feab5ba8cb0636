package dev.sdserve.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The median run a report's figures come from, and the range it shows beside them. */
class RepetitionsTest {

    private static RunResult run(double loopMs, double totalMs) {
        return new RunResult(totalMs, loopMs, 1, 1, new StepLog.Counts(1, 0, loopMs, 0), Double.NaN, null, Double.NaN);
    }

    @Test
    void theMedianRunIsTheMiddleLoopTime() {
        RunResult a = run(300, 320);
        RunResult b = run(100, 130);
        RunResult c = run(200, 210);
        assertSame(c, Benchmark.median(List.of(a, b, c)));
        assertSame(b, Benchmark.median(List.of(a, b)), "even count: the lower of the middle two");
        assertSame(a, Benchmark.median(List.of(a)));
    }

    @Test
    void spreadIsMedianAndRange() {
        List<RunResult> runs = List.of(run(300, 320), run(100, 130), run(200, 210), run(250, 260));
        BenchResults.Spread loop = BenchResults.Spread.of(runs, RunResult::loopMs);
        assertEquals(225, loop.median(), 1e-12);
        assertEquals(100, loop.min(), 1e-12);
        assertEquals(300, loop.max(), 1e-12);
        assertEquals(200.0 / 225, loop.relativeRange(), 1e-12);
        assertEquals(210, BenchResults.Spread.of(runs.subList(0, 3), RunResult::totalMs).median(), 1e-12);
    }
}
