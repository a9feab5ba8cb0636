package dev.sdserve.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Logs a recoverable problem with a file or folder at WARN once per path (and logger), so that an error the code
 * works around (an unreadable models root, an ONNX file whose input type cannot be probed) is never silent, and a
 * call repeated per request does not flood the log.
 */
public final class WarnOnce {
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private WarnOnce() {
    }

    /** Logs "{@code what} {@code path}: {@code cause}" at WARN unless already logged for this logger and path. */
    public static void warn(Logger log, Object path, String what, Throwable cause) {
        if (WARNED.add(log.getName() + '\n' + what + '\n' + path)) {
            log.warnf("%s %s: %s (logged once for this path)", what, path, cause);
        }
    }
}
