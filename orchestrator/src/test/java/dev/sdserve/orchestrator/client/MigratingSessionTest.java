package dev.sdserve.orchestrator.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.orchestrator.pipeline.DenoiserSession.StepResult;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The migration logic without a server: replicas are doubles whose UNet keeps a DeepCache-like feature per
 * session (FULL computes it, SHALLOW uses it, a SHALLOW without one runs FULL as unet-service does), so a move
 * that forgot to rebuild the feature, skipped a step or ran one twice would change the numbers.
 */
class MigratingSessionTest {
    private static final OpenRequest OPEN = OpenRequest.newBuilder().setModel("m").setCacheBranch(0).build();
    /** FULL every 3rd step of 9. */
    private static final StepMode[] MODES = {StepMode.FULL, StepMode.SHALLOW, StepMode.SHALLOW, StepMode.FULL,
            StepMode.SHALLOW, StepMode.SHALLOW, StepMode.FULL, StepMode.SHALLOW, StepMode.SHALLOW};

    private final Map<String, Replica> replicas = new LinkedHashMap<>();
    private final AtomicInteger migrations = new AtomicInteger();

    MigratingSessionTest() {
        for (String a : List.of("r1:1", "r2:2", "r3:3")) replicas.put(a, new Replica(a));
    }

    @Test
    void aSessionLostMidRunMovesRebuildsItsFeatureAndGivesTheSameNumbers() {
        List<float[]> reference = run(session(3));
        Replica first = replicas.get("r1:1");
        first.dieAtStep = 4; // its 5th step (SHALLOW, index 4) fails: the last FULL was index 3
        MigratingSession s = session(3);
        List<float[]> moved = run(s);
        for (int i = 0; i < reference.size(); i++) assertArrayEquals(reference.get(i), moved.get(i), "step " + i);
        assertEquals(1, s.migrations());
        assertEquals(1, migrations.get());
        assertEquals("r2:2", s.replica());
        Replica second = replicas.get("r2:2");
        // on the new replica: the re-run FULL step 3 (same input, same t), then steps 4..8 once each
        assertEquals(List.of(3, 4, 5, 6, 7, 8), second.stepsSeen);
        assertEquals(List.of("FULL", "SHALLOW", "SHALLOW", "FULL", "SHALLOW", "SHALLOW"), second.modesSeen);
        assertTrue(first.aborted, "the broken session was abandoned");
    }

    @Test
    void aSessionTheReplicaClosedWhileShuttingDownMovesToo() {
        List<float[]> reference = run(session(3));
        Replica first = replicas.get("r1:1");
        first.closeAtStep = 5; // NOT_FOUND "session is closed", as a draining replica's stop answers
        MigratingSession s = session(3);
        List<float[]> moved = run(s);
        for (int i = 0; i < reference.size(); i++) assertArrayEquals(reference.get(i), moved.get(i), "step " + i);
        assertEquals(1, s.migrations());
        assertEquals(List.of(3, 5, 6, 7, 8), replicas.get("r2:2").stepsSeen, "re-ran FULL step 3, then 5..8");
    }

    @Test
    void theStepThatNeededTheMoveReportsItWithItsCost() {
        replicas.get("r1:1").dieAtStep = 2;
        MigratingSession s = session(3);
        List<Integer> perStep = new ArrayList<>();
        for (int i = 0; i < MODES.length; i++) perStep.add(s.step(sample(i), t(i), MODES[i]).migrations());
        assertEquals(List.of(0, 0, 1, 0, 0, 0, 0, 0, 0), perStep);
    }

    @Test
    void aFailedFullStepIsRunAgainWithoutAReplay() {
        replicas.get("r1:1").dieAtStep = 3; // a FULL step: nothing to rebuild, the step itself rebuilds it
        List<float[]> moved = run(session(3));
        replicas.get("r1:1").dieAtStep = -1;
        replicas.get("r1:1").dead = false;
        assertEquals(List.of(3, 4, 5, 6, 7, 8), replicas.get("r2:2").stepsSeen);
        List<float[]> reference = run(session(3));
        for (int i = 0; i < reference.size(); i++) assertArrayEquals(reference.get(i), moved.get(i), "step " + i);
    }

    @Test
    void afterMaxMigrationsItIsUnavailableNamingTheStageAndEveryReplicaTried() {
        for (Replica r : replicas.values()) r.dieAtStep = 1;
        MigratingSession s = session(3);
        s.step(sample(0), t(0), StepMode.FULL);
        SdException e = assertThrows(SdException.class, () -> s.step(sample(1), t(1), StepMode.SHALLOW));
        assertEquals(SdException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().startsWith("unet-service unavailable at r1:1, r2:2, r3:3: "), e.getMessage());
        assertTrue(e.getMessage().contains("sd.orchestrator.max-migrations=3"), e.getMessage());
        assertEquals(3, s.migrations());
    }

    @Test
    void allReplicasGoneFailsAtOnceWhenNoneIsLeftToOpen() {
        MigratingSession s = session(3);
        s.step(sample(0), t(0), StepMode.FULL);
        replicas.values().forEach(r -> r.dead = true);
        SdException e = assertThrows(SdException.class, () -> s.step(sample(1), t(1), StepMode.SHALLOW));
        assertEquals(SdException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("r1:1") && e.getMessage().contains("no serving unet-service replica"),
                e.getMessage());
    }

    @Test
    void withMigrationOffTheStreamsOwnErrorStands() {
        replicas.get("r1:1").dieAtStep = 1;
        MigratingSession s = session(0);
        s.step(sample(0), t(0), StepMode.FULL);
        SdException e = assertThrows(SdException.class, () -> s.step(sample(1), t(1), StepMode.SHALLOW));
        assertEquals("unet-service unavailable at r1:1: connection reset", e.getMessage());
        assertEquals(0, migrations.get());
    }

    @Test
    void badRequestsAndCancelsAreNotMoved() {
        MigratingSession s = session(3);
        SdException bad = assertThrows(SdException.class, () -> s.step(sample(0), -1, StepMode.FULL));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, bad.kind());
        MigratingSession c = session(3);
        c.abort();
        SdException cancelled = assertThrows(SdException.class, () -> c.step(sample(0), t(0), StepMode.FULL));
        assertEquals(SdException.Kind.CANCELLED, cancelled.kind());
        assertEquals(0, migrations.get());
        assertFalse(replicas.get("r2:2").opened > 0, "nothing was opened elsewhere");
    }

    @Test
    void aReplicaLostWhileOpeningIsSkipped() {
        replicas.get("r1:1").dead = true;
        replicas.get("r1:1").readyButDead = true; // still picked once: its death shows at the open
        MigratingSession s = session(3);
        assertEquals("r2:2", s.replica());
        assertEquals(1, s.migrations());
    }

    // ---- doubles ----

    private MigratingSession session(int max) {
        return MigratingSession.open(this::openOn, OPEN, "unet-service", max, migrations::incrementAndGet);
    }

    /** Opens on the first live replica not to avoid, else any live one; like the balancer's picker. */
    private DenoiserSession openOn(OpenRequest open, ReplicaPick pick) {
        Replica chosen = null;
        for (Replica r : replicas.values()) {
            if ((!r.dead || r.readyButDead) && !pick.avoid().contains(r.address)) {
                chosen = r;
                break;
            }
        }
        if (chosen == null) {
            for (Replica r : replicas.values()) if (!r.dead) chosen = r;
        }
        if (chosen == null) throw new SdException(SdException.Kind.UNAVAILABLE, "unet-service unavailable at r1:1, "
                + "r2:2, r3:3: no serving unet-service replica: all TRANSIENT_FAILURE");
        pick.chose(chosen.address);
        if (chosen.readyButDead) {
            chosen.readyButDead = false;
            throw new SdException(SdException.Kind.UNAVAILABLE, "unet-service unavailable at " + chosen.address + ": refused");
        }
        chosen.opened++;
        return chosen.new Session();
    }

    private static List<float[]> run(DenoiserSession s) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < MODES.length; i++) out.add(s.step(sample(i), t(i), MODES[i]).noisePred().toArray());
        s.close();
        return out;
    }

    private static FloatTensor sample(int i) {
        float[] v = new float[8];
        for (int k = 0; k < v.length; k++) v[k] = (float) Math.sin(i * 7 + k) * (i + 1);
        return FloatTensor.of(new long[] {2, 1, 2, 2}, v);
    }

    private static double t(int i) {
        return 900 - 100 * i;
    }

    /** A replica: FULL returns 3x + t/1000 and keeps a feature; SHALLOW returns 2x + feature. */
    private static final class Replica {
        final String address;
        final List<Integer> stepsSeen = new ArrayList<>();
        final List<String> modesSeen = new ArrayList<>();
        int dieAtStep = -1;
        int closeAtStep = -1;
        boolean dead;
        boolean readyButDead;
        boolean aborted;
        int opened;

        Replica(String address) {
            this.address = address;
        }

        final class Session implements DenoiserSession {
            private FloatTensor feature;

            @Override
            public StepResult step(FloatTensor x, double t, StepMode mode) {
                int index = (int) Math.round((900 - t) / 100);
                if (t < 0) throw SdException.invalid("timestep: -1 is negative");
                if (dead || index == dieAtStep) {
                    dead = true;
                    throw new SdException(SdException.Kind.UNAVAILABLE, "unet-service unavailable at " + address
                            + ": connection reset");
                }
                if (index == closeAtStep) {
                    closeAtStep = -1;
                    throw SdException.notFound("unet-service: UNet session 's' is closed");
                }
                stepsSeen.add(index);
                modesSeen.add(mode.name());
                if (mode == StepMode.SHALLOW && feature != null) {
                    return new StepResult(x.axpby(2f, feature, 1f), StepMode.SHALLOW, true, 1, 1);
                }
                float[] f = x.toArray();
                for (int k = 0; k < f.length; k++) f[k] = f[k] * 0.25f + (float) t / 1000f;
                feature = FloatTensor.of(x.shape(), f);
                float[] y = x.toArray();
                for (int k = 0; k < y.length; k++) y[k] = 3 * y[k] + (float) t / 1000f;
                return new StepResult(FloatTensor.of(x.shape(), y), StepMode.FULL, false, 1, 1);
            }

            @Override
            public void close() {
            }

            @Override
            public void abort() {
                aborted = true;
            }
        }
    }
}
