package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * A UNet session that survives the loss of its replica. It keeps what rebuilds the session elsewhere: the whole
 * {@link OpenRequest} (embeddings and any other conditioning) and the input of the last FULL step (the sample
 * after scale_model_input, and t). When a step fails because the session is gone (UNAVAILABLE, a reset stream,
 * a step past its deadline, NOT_FOUND because the replica closed it while shutting down), it opens the session on another serving replica, re-runs that FULL step there to
 * rebuild the cached feature, and runs the failed step again. The loop sees one answer per step, the same
 * numbers (ONNX Runtime is deterministic on the same kind of host), and the migration count in the result.
 * After {@code maxMigrations} moves it gives up with UNAVAILABLE naming the stage and every replica tried (with
 * 0 it never moves and the stream's own error stands).
 */
final class MigratingSession implements DenoiserSession {
    private static final Logger LOG = Logger.getLogger(MigratingSession.class);

    /** Opens a session on a replica the pick allows; records the replica in the pick, even when it then fails. */
    @FunctionalInterface
    interface Opener {
        DenoiserSession open(OpenRequest open, ReplicaPick pick);
    }

    private final Opener opener;
    private final OpenRequest open;
    private final String stage;
    private final int maxMigrations;
    private final Runnable onMigration;
    private final Object lock = new Object();
    /** Replicas this session was lost on (avoided by later opens while another serves). */
    private final Set<String> lost = new LinkedHashSet<>();
    /** Every replica a session was opened on or tried, in order, for messages. */
    private final Set<String> tried = new LinkedHashSet<>();
    private DenoiserSession current; // guarded by lock for swaps; used by the stepping thread
    private String replica;
    private boolean aborted; // guarded by lock
    private FloatTensor lastFullSample;
    private double lastFullT;
    private int migrations;

    private MigratingSession(Opener opener, OpenRequest open, String stage, int maxMigrations, Runnable onMigration) {
        this.opener = opener;
        this.open = open;
        this.stage = stage;
        this.maxMigrations = maxMigrations;
        this.onMigration = onMigration;
    }

    /** Opens the session on a serving replica; a replica lost while opening counts as a migration. */
    static MigratingSession open(Opener opener, OpenRequest open, String stage, int maxMigrations, Runnable onMigration) {
        MigratingSession s = new MigratingSession(opener, open, stage, maxMigrations, onMigration);
        ReplicaPick first = new ReplicaPick(Set.of());
        try {
            s.place(opener.open(open, first), first);
        } catch (SdException e) {
            if (!s.movable(e)) throw e;
            s.noteLost(first.chosen());
            s.moveAfter(e, StepMode.FULL);
        }
        return s;
    }

    @Override
    public StepResult step(FloatTensor sample, double t, StepMode mode) {
        checkNotAborted();
        int moved = 0;
        double movedMs = 0;
        while (true) {
            DenoiserSession s = current;
            StepResult r;
            try {
                r = s.step(sample, t, mode);
            } catch (SdException e) {
                // NOT_FOUND on a step: the replica closed the session under us (shutting down, or expired)
                if (!movable(e) && !(e.kind() == SdException.Kind.NOT_FOUND && !aborted())) throw e;
                noteLost(replica);
                long start = System.nanoTime();
                moved += moveAfter(e, mode);
                movedMs += (System.nanoTime() - start) / 1e6;
                continue;
            }
            if (r.modeRun() == StepMode.FULL) {
                lastFullSample = sample; // immutable: keeping it costs no copy
                lastFullT = t;
            }
            return moved == 0 ? r : r.migrated(moved, movedMs);
        }
    }

    /**
     * Moves the session after {@code cause}: opens it on another serving replica and, unless the step to redo is
     * FULL anyway, re-runs the last FULL step there. Returns the migrations it took; throws UNAVAILABLE when
     * {@code maxMigrations} are used up, CANCELLED when the generation was cancelled meanwhile.
     */
    private int moveAfter(SdException cause, StepMode redo) {
        DenoiserSession old = current;
        if (old != null) old.abort(); // the stream is broken or late: make sure the replica frees the session
        int moves = 0;
        SdException last = cause;
        while (true) {
            checkNotAborted();
            if (maxMigrations == 0) throw last; // migration off: the stream's own error, as without replicas
            if (migrations >= maxMigrations) throw exhausted(last);
            migrations++;
            moves++;
            onMigration.run();
            ReplicaPick pick = new ReplicaPick(lost);
            DenoiserSession next = null;
            try {
                next = opener.open(open, pick);
                if (redo == StepMode.SHALLOW && lastFullSample != null) next.step(lastFullSample, lastFullT, StepMode.FULL);
                LOG.infof("%s session moved from %s to %s (migration %d of at most %d): %s", stage, replica,
                        pick.chosen(), migrations, maxMigrations, last.getMessage());
                place(next, pick);
                return moves;
            } catch (SdException e) {
                if (next != null) next.abort();
                if (!movable(e)) throw e;
                noteLost(pick.chosen());
                last = e;
            }
        }
    }

    private void place(DenoiserSession session, ReplicaPick pick) {
        synchronized (lock) {
            if (aborted) {
                session.abort();
                throw new SdException(SdException.Kind.CANCELLED, "generation cancelled");
            }
            current = session;
            replica = pick.chosen();
            if (replica != null) tried.add(replica);
        }
    }

    private void noteLost(String address) {
        if (address == null) return;
        lost.add(address);
        tried.add(address);
    }

    private boolean aborted() {
        synchronized (lock) {
            return aborted;
        }
    }

    private void checkNotAborted() {
        synchronized (lock) {
            if (aborted) throw new SdException(SdException.Kind.CANCELLED, "generation cancelled");
        }
    }

    /** Whether {@code e} means the session (or its replica) is gone, rather than a bad request or a cancel. */
    private boolean movable(SdException e) {
        synchronized (lock) {
            if (aborted) return false;
        }
        return switch (e.kind()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> true;
            case INTERNAL -> e.getMessage() != null
                    && (e.getMessage().contains("ended the session") || e.getMessage().contains("RST_STREAM"));
            default -> false;
        };
    }

    private SdException exhausted(SdException last) {
        List<String> where = new ArrayList<>(tried);
        String at = where.isEmpty() ? "" : " at " + String.join(", ", where);
        return new SdException(SdException.Kind.UNAVAILABLE, stage + " unavailable" + at + ": the UNet session was lost "
                + "and could not be moved after " + maxMigrations + " migration(s) (sd.orchestrator.max-migrations="
                + maxMigrations + "); replicas tried: " + where + "; last error: "
                + last.getMessage(), last);
    }

    /** Migrations so far. */
    int migrations() {
        return migrations;
    }

    /** The replica the session is on now. */
    String replica() {
        return replica;
    }

    @Override
    public void close() {
        DenoiserSession s;
        synchronized (lock) {
            s = current;
        }
        if (s != null) s.close();
    }

    @Override
    public void abort() {
        DenoiserSession s;
        synchronized (lock) {
            aborted = true;
            s = current;
        }
        if (s != null) s.abort();
    }
}
