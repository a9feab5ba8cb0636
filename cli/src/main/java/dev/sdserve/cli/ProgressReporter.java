package dev.sdserve.cli;

import dev.sdserve.proto.v1.StepProgress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows denoising progress: a redrawn bar with it/s on a terminal, one line a step when not on a terminal
 * and {@code --verbose} is set, nothing otherwise (so logs of scripted runs stay clean). The rate counts
 * UNet calls per second of orchestrator step time, the figure the DeepCache speedup is about.
 */
final class ProgressReporter implements GenerationClient.Listener {
    static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private final boolean verbose;
    private double stepMs;

    ProgressReporter(PrintWriter err, boolean terminal, boolean verbose) {
        this.err = err;
        this.terminal = terminal;
        this.verbose = verbose;
    }

    @Override
    public void onProgress(StepProgress p) {
        stepMs += p.getMs();
        int done = p.getIndex() + 1;
        double rate = stepMs > 0 ? done * 1000.0 / stepMs : 0;
        if (terminal) {
            err.print("\r" + bar(done, p.getTotal(), rate) + "  " + mode(p) + "   ");
            if (done >= p.getTotal()) err.println();
            err.flush();
        } else if (verbose) {
            err.println(String.format(Locale.ROOT, "step %d/%d t=%.1f %s %.1f ms (%.2f it/s)",
                    done, p.getTotal(), p.getTimestep(), mode(p), p.getMs(), rate));
        }
    }

    /** {@code " 12/51 [#######-----] 3.41 it/s"}. */
    static String bar(int done, int total, double itPerSec) {
        int filled = total > 0 ? (int) Math.min(BAR_WIDTH, (long) done * BAR_WIDTH / total) : 0;
        int digits = String.valueOf(Math.max(total, 1)).length();
        return String.format(Locale.ROOT, "%" + digits + "d/%d [%s%s] %.2f it/s", done, total,
                "#".repeat(filled), "-".repeat(BAR_WIDTH - filled), itPerSec);
    }

    /** The graph that ran (the server reports FULL for a shallow step whose cached feature was gone). */
    private static String mode(StepProgress p) {
        return p.getMode().name();
    }
}
