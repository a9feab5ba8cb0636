package dev.sdserve.runtime;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Counts the gRPC calls in flight, so that a service can let them finish before it stops (graceful drain);
 * abstract so that Quarkus does not report it as an unused interceptor:
 * register a subclass as a global server interceptor and call {@link #drain} from a shutdown observer, which
 * runs before Quarkus stops the gRPC server (and cancels whatever still runs).
 */
public abstract class InFlightCalls implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(InFlightCalls.class);

    private final Object lock = new Object();
    private int active; // guarded by lock

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        // health watches and reflection never end by themselves: they are not work to wait for
        if (call.getMethodDescriptor().getServiceName() != null
                && call.getMethodDescriptor().getServiceName().startsWith("grpc.")) {
            return next.startCall(call, headers);
        }
        synchronized (lock) {
            active++;
        }
        AtomicBoolean ended = new AtomicBoolean();
        Runnable end = () -> {
            if (ended.compareAndSet(false, true)) {
                synchronized (lock) {
                    active--;
                    lock.notifyAll();
                }
            }
        };
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onComplete() {
                    end.run();
                    super.onComplete();
                }

                @Override
                public void onCancel() {
                    end.run();
                    super.onCancel();
                }
            };
        } catch (RuntimeException e) {
            end.run();
            throw e;
        }
    }

    /** Calls started and not yet completed or cancelled. */
    public int active() {
        synchronized (lock) {
            return active;
        }
    }

    /** Waits up to {@code timeout} for the calls in flight to end; true when none is left. */
    public boolean awaitIdle(Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (active > 0) {
                long left = until - System.nanoTime();
                if (left <= 0) return false;
                try {
                    lock.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return active == 0;
                }
            }
            return true;
        }
    }

    /** The shutdown step: waits for the calls in flight (up to {@code timeout}) and logs the outcome. */
    public void drain(String service, Duration timeout) {
        int before = active();
        boolean idle = awaitIdle(timeout);
        LOG.infof("%s shutdown: %d call(s) in flight, %s", service, before,
                idle ? "all finished" : active() + " still running after " + timeout + " are cancelled");
    }
}
