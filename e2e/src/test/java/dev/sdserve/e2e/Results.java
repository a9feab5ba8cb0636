package dev.sdserve.e2e;

import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.Timings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** Measured numbers of the e2e run, one line each, in target/e2e-results.txt (for the README and reviews). */
final class Results {
    private Results() {
    }

    static synchronized void append(String line) {
        try {
            Path out = Path.of("target", "e2e-results.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "unet_full 21x 12.3 ms, ..." from a Timings event. */
    static String timings(Timings t) {
        StringBuilder s = new StringBuilder();
        for (StageTiming row : t.getStagesList()) {
            if (s.length() > 0) s.append(", ");
            s.append(String.format(Locale.ROOT, "%s %dx %.1f ms", row.getStage(), row.getCount(), row.getMeanMs()));
        }
        return s.toString();
    }
}
