package dev.sdserve.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the report says about the machine: the CPU's name, its cores, and how loaded it was. */
final class Machine {
    private Machine() {
    }

    /** The CPU model from /proc/cpuinfo (Linux), else the OS and architecture. */
    static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException notLinux) {
            // fall through
        }
        return System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The 1-minute load average, or -1 where the OS does not report it. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** A process's peak resident set size (Linux's VmHWM), in bytes; -1 where /proc does not have it. */
    static long peakRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException notLinux) {
            // fall through
        }
        return -1;
    }

    static String describe() {
        return String.format(Locale.ROOT, "%s, %d cores, Java %s, %s %s", cpu(), cores(),
                System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.arch"));
    }
}
