package dev.sdserve.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of a service process from outside. The live heap comes from {@code jcmd <pid> GC.class_histogram},
 * which runs a full GC first and ends with a "Total <instances> <bytes>" line: the bytes of objects that
 * survived it, the same under every collector. RSS comes from /proc (Linux; -1 elsewhere).
 */
final class JvmProbe {
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");

    private JvmProbe() {
    }

    /** Live heap bytes after a full GC. */
    static long liveHeapAfterFullGc(long pid) {
        String out = run(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid),
                "GC.class_histogram");
        Matcher m = TOTAL.matcher(out);
        if (!m.find()) throw new AssertionError("no Total line in jcmd GC.class_histogram output:\n" + tail(out));
        return Long.parseLong(m.group(1));
    }

    /** Resident set size in bytes, or -1 when /proc is not there. */
    static long rssBytes(long pid) {
        try {
            Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " timed out");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String tail(String s) {
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }
}
