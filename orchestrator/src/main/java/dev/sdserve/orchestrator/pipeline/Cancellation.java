package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.SdException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A generation's cancel signal, raised from another thread (the gRPC cancel handler). Besides the flag the
 * loop checks between steps, it runs registered hooks at once, so a UNet session is closed even while a step
 * is still waiting on the service.
 */
public final class Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private volatile String reason = "cancelled";
    private volatile SdException.Kind kind = SdException.Kind.CANCELLED;

    /** Raises the signal and runs every registered hook once; later calls do nothing. */
    public void cancel(String why) {
        cancel(why, SdException.Kind.CANCELLED);
    }

    /**
     * Raises the signal with the status the generation should end with: CANCELLED for a client that left,
     * UNAVAILABLE when the orchestrator shuts down (the client may retry elsewhere).
     */
    public void cancel(String why, SdException.Kind status) {
        if (cancelled.compareAndSet(false, true)) {
            reason = why;
            kind = status;
            hooks.forEach(Runnable::run);
        }
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    /** Throws {@link #exception()} when the signal is raised. */
    public void throwIfCancelled() {
        if (cancelled.get()) {
            throw exception();
        }
    }

    /** What a cancelled generation ends with: "generation cancelled by the client" (CANCELLED), ... */
    public SdException exception() {
        return new SdException(kind, "generation " + reason);
    }

    /** Runs {@code hook} on cancel (at once when already cancelled) until the returned handle is closed. */
    public Registration onCancel(Runnable hook) {
        hooks.add(hook);
        if (cancelled.get() && hooks.remove(hook)) hook.run();
        return () -> hooks.remove(hook);
    }

    /** A registered hook; closing it unregisters. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
