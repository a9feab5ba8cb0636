package dev.sdserve.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Test helper: records what one logger (by class) writes while open. Works with the JBoss LogManager the tests
 * run under (it is java.util.logging's manager there) as with plain java.util.logging.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new ArrayList<>();

    private LogCapture(Class<?> source) {
        this.logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    public static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        records.add(r);
    }

    public synchronized List<LogRecord> records() {
        return new ArrayList<>(records);
    }

    /** The formatted messages, in order. */
    public synchronized List<String> messages() {
        List<String> out = new ArrayList<>();
        for (LogRecord r : records) out.add(format(r));
        return out;
    }

    private static String format(LogRecord r) {
        String m = r.getMessage();
        Object[] p = r.getParameters();
        if (p == null || p.length == 0 || m == null) return m;
        try {
            return m.contains("%") ? String.format(m, p) : java.text.MessageFormat.format(m, p);
        } catch (RuntimeException e) {
            return m;
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
