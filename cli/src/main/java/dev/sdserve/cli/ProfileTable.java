package dev.sdserve.cli;

import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.Timings;
import java.util.Locale;

/** {@code --profile}: the orchestrator's per-stage timings (the final Timings event) as a text table. */
final class ProfileTable {
    private ProfileTable() {
    }

    static String format(Timings timings) {
        if (timings.getStagesCount() == 0) return "no timings reported by the orchestrator\n";
        int w = "stage".length();
        for (StageTiming s : timings.getStagesList()) w = Math.max(w, s.getStage().length());
        StringBuilder out = new StringBuilder();
        String row = "%-" + w + "s %7s %12s %10s%n";
        out.append(String.format(Locale.ROOT, row, "stage", "calls", "total ms", "mean ms"));
        for (StageTiming s : timings.getStagesList()) {
            out.append(String.format(Locale.ROOT, "%-" + w + "s %7d %12.1f %10.2f%n",
                    s.getStage(), s.getCount(), s.getTotalMs(), s.getMeanMs()));
        }
        return out.toString();
    }
}
