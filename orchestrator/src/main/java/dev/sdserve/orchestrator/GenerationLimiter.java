package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.pipeline.Cancellation;
import dev.sdserve.runtime.SdException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission control for generations: at most {@code maxConcurrent} run at once, up to {@code queueSize} more
 * wait in arrival order, and any beyond that get RESOURCE_EXHAUSTED at once. A waiting generation whose client
 * cancels (or whose deadline passes) leaves the queue. {@link #drain} is the graceful shutdown: no more
 * admissions, queued ones end UNAVAILABLE, running ones get time to finish and are then cancelled.
 */
public final class GenerationLimiter {
    private final int maxConcurrent;
    private final int queueSize;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<Cancellation> running = new LinkedHashSet<>(); // guarded by lock
    private long nextTicket; // guarded by lock: arrival order of waiters
    private long nowServing; // guarded by lock: the oldest ticket still waiting or admitted
    private final Set<Long> left = new HashSet<>(); // guarded by lock: tickets out of the queue, not yet passed
    private int waiting; // guarded by lock
    private boolean draining; // guarded by lock

    /** A running generation's slot; close it when the generation ends. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    public GenerationLimiter(int maxConcurrent, int queueSize) {
        if (maxConcurrent < 1 || queueSize < 0) {
            throw new IllegalArgumentException("sd.orchestrator.max-concurrent must be >= 1 and queue-size >= 0, got "
                    + maxConcurrent + " and " + queueSize);
        }
        this.maxConcurrent = maxConcurrent;
        this.queueSize = queueSize;
    }

    /**
     * Waits for a slot. RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE while draining, and the
     * cancellation's own status when it is raised while waiting.
     */
    public Permit acquire(Cancellation cancel) {
        try (Cancellation.Registration wake = cancel.onCancel(this::signal)) {
            lock.lock();
            try {
                requireOpen();
                if (running.size() >= maxConcurrent || waiting > 0) {
                    if (waiting >= queueSize) {
                        throw SdException.exhausted("busy: " + running.size() + " generations running and " + waiting
                                + " waiting (sd.orchestrator.max-concurrent=" + maxConcurrent
                                + ", sd.orchestrator.queue-size=" + queueSize + "); retry later");
                    }
                    awaitTurn(cancel);
                }
                running.add(cancel);
                return () -> release(cancel);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits in arrival order until this waiter is first and a slot is free. Called with the lock held. */
    private void awaitTurn(Cancellation cancel) {
        long ticket = nextTicket++;
        waiting++;
        try {
            while (ticket != nowServing || running.size() >= maxConcurrent) {
                requireOpen();
                cancel.throwIfCancelled();
                changed.awaitUninterruptibly();
            }
        } finally {
            waiting--;
            leaveQueue(ticket);
            changed.signalAll();
        }
    }

    /** A waiter left (admitted or gave up): {@link #nowServing} passes over its ticket when it comes up. */
    private void leaveQueue(long ticket) {
        left.add(ticket);
        while (left.remove(nowServing)) nowServing++;
    }

    private void requireOpen() {
        if (draining) throw SdException.unavailable("the orchestrator is shutting down; retry on another instance");
    }

    private void release(Cancellation cancel) {
        lock.lock();
        try {
            running.remove(cancel);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Generations waiting for a slot now. */
    public int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** Generations running now. */
    public int running() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Graceful shutdown: refuses new generations, ends the queued ones with UNAVAILABLE, lets the running ones
     * finish for up to {@code grace}, then cancels the rest (their UNet sessions are closed) and waits up to
     * {@code unwind} for them to end. Returns how many were cancelled.
     */
    public int drain(Duration grace, Duration unwind) {
        lock.lock();
        try {
            draining = true;
            changed.signalAll();
            if (awaitIdle(grace)) return 0;
            List<Cancellation> unfinished = new ArrayList<>(running);
            unfinished.forEach(c -> c.cancel("cancelled: the orchestrator is shutting down", SdException.Kind.UNAVAILABLE));
            awaitIdle(unwind);
            return unfinished.size();
        } finally {
            lock.unlock();
        }
    }

    private boolean awaitIdle(Duration timeout) {
        long left = timeout.toNanos();
        while (!running.isEmpty() && left > 0) {
            try {
                left = changed.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return running.isEmpty();
            }
        }
        return running.isEmpty();
    }
}
