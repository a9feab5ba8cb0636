package dev.sdserve.cli;

import dev.sdserve.runtime.GrpcErrors;
import dev.sdserve.runtime.SdException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Prints a failed command as {@code ERROR <gRPC status code>: message} on stderr and exits non-zero.
 * Server errors keep the server's status; local ones (a bad --latents file, an unwritable --output) get
 * the status a server would give. A stack trace appears only for a bug (INTERNAL) or with SD_DEBUG set.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    /** Exit code of a command that failed (usage errors exit with picocli's 2). */
    static final int EXIT_FAILED = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        Status s = status(ex);
        cmd.getErr().println(line(s));
        if (s.getCode() == Status.Code.INTERNAL && !(ex instanceof StatusRuntimeException) || System.getenv("SD_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
        }
        return EXIT_FAILED;
    }

    static String line(Status s) {
        return "ERROR " + s.getCode() + ": " + (s.getDescription() == null ? "(no message)" : s.getDescription());
    }

    static Status status(Throwable t) {
        if (t instanceof StatusRuntimeException || t instanceof StatusException) return Status.fromThrowable(t);
        if (t instanceof SdException) return GrpcErrors.toStatus(t).getStatus();
        if (t instanceof UncheckedIOException u) return io(u.getCause(), u.getMessage());
        if (t instanceof IOException io) return io(io, io.getMessage());
        if (t instanceof InterruptedException) return Status.CANCELLED.withDescription("interrupted");
        return Status.INTERNAL.withDescription("internal error in the sd command: " + t);
    }

    private static Status io(IOException e, String message) {
        if (e instanceof NoSuchFileException) return Status.NOT_FOUND.withDescription("no such file: " + message);
        if (e instanceof AccessDeniedException) return Status.PERMISSION_DENIED.withDescription("access denied: " + message);
        return Status.FAILED_PRECONDITION.withDescription(message);
    }
}
