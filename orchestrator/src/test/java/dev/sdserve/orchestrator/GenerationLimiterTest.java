package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.pipeline.Cancellation;
import dev.sdserve.runtime.SdException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Admission control: the running limit, the bounded FIFO queue, leaving the queue on cancel, and the drain. */
class GenerationLimiterTest {

    /** Starts a waiter on its own thread; the future completes with its permit (or its failure). */
    private static CompletableFuture<GenerationLimiter.Permit> waiter(GenerationLimiter l, Cancellation c,
                                                                      List<Integer> admitted, int id) {
        return CompletableFuture.supplyAsync(() -> {
            GenerationLimiter.Permit p = l.acquire(c);
            admitted.add(id);
            return p;
        }, r -> new Thread(r, "waiter-" + id).start());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting until " + what);
            Thread.sleep(2);
        }
    }

    private static SdException failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        return (SdException) e.getCause();
    }

    @Test
    void twoRunEightWaitInArrivalOrderAndTheEleventhIsResourceExhausted() throws Exception {
        GenerationLimiter l = new GenerationLimiter(2, 8);
        GenerationLimiter.Permit a = l.acquire(new Cancellation());
        GenerationLimiter.Permit b = l.acquire(new Cancellation());
        List<Integer> admitted = new CopyOnWriteArrayList<>();
        List<CompletableFuture<GenerationLimiter.Permit>> queued = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            queued.add(waiter(l, new Cancellation(), admitted, i));
            int n = i + 1;
            await(() -> l.waiting() == n, n + " waiting"); // one at a time, so arrival order is known
        }
        SdException busy = assertThrows(SdException.class, () -> l.acquire(new Cancellation()));
        assertEquals(SdException.Kind.RESOURCE_EXHAUSTED, busy.kind());
        assertTrue(busy.getMessage().contains("sd.orchestrator.queue-size=8"), busy.getMessage());
        assertEquals(2, l.running());

        a.close();
        b.close();
        for (int i = 0; i < 8; i += 2) {
            int first = i;
            await(() -> admitted.size() == first + 2, (first + 2) + " admitted");
            // two slots free up at once, so the two admitted together may record in either order
            assertEquals(java.util.Set.of(first, first + 1), java.util.Set.copyOf(admitted.subList(first, first + 2)),
                    "admitted in arrival order: " + admitted);
            assertEquals(2, l.running(), "never more than max-concurrent");
            queued.get(i).get().close();
            queued.get(i + 1).get().close();
        }
        assertEquals(0, l.running());
        assertEquals(0, l.waiting());
    }

    @Test
    void aCancelledWaiterLeavesTheQueueWithItsStatusAndTheNextMovesUp() throws Exception {
        GenerationLimiter l = new GenerationLimiter(1, 2);
        GenerationLimiter.Permit running = l.acquire(new Cancellation());
        List<Integer> admitted = new CopyOnWriteArrayList<>();
        Cancellation leaving = new Cancellation();
        CompletableFuture<GenerationLimiter.Permit> first = waiter(l, leaving, admitted, 1);
        await(() -> l.waiting() == 1, "one waiting");
        CompletableFuture<GenerationLimiter.Permit> second = waiter(l, new Cancellation(), admitted, 2);
        await(() -> l.waiting() == 2, "two waiting");

        leaving.cancel("cancelled by the client");
        SdException e = failure(first);
        assertEquals(SdException.Kind.CANCELLED, e.kind());
        assertEquals("generation cancelled by the client", e.getMessage());
        assertEquals(1, l.waiting(), "the cancelled waiter left the queue");

        running.close();
        second.get(5, TimeUnit.SECONDS).close();
        assertEquals(List.of(2), admitted);
    }

    @Test
    void drainLetsRunningOnesFinishThenCancelsTheRestAndRefusesNewOnes() throws Exception {
        GenerationLimiter l = new GenerationLimiter(1, 4);
        Cancellation quick = new Cancellation();
        GenerationLimiter.Permit quickSlot = l.acquire(quick);
        CompletableFuture<GenerationLimiter.Permit> queued = waiter(l, new Cancellation(), new ArrayList<>(), 1);
        await(() -> l.waiting() == 1, "one waiting");

        // the running generation finishes during the grace period: nothing is cancelled
        CompletableFuture.runAsync(() -> {
            sleep(100);
            quickSlot.close();
        });
        assertEquals(0, l.drain(Duration.ofSeconds(5), Duration.ofSeconds(1)));
        assertTrue(!quick.isCancelled());
        assertEquals(SdException.Kind.UNAVAILABLE, failure(queued).kind(), "queued ones are refused");
        SdException late = assertThrows(SdException.class, () -> l.acquire(new Cancellation()));
        assertEquals(SdException.Kind.UNAVAILABLE, late.kind());
        assertTrue(late.getMessage().contains("shutting down"), late.getMessage());
    }

    @Test
    void drainCancelsWhatIsStillRunningAfterTheGraceWithUnavailable() {
        GenerationLimiter l = new GenerationLimiter(2, 0);
        Cancellation slow = new Cancellation();
        GenerationLimiter.Permit slot = l.acquire(slow);
        slow.onCancel(slot::close); // like the pipeline: the cancel ends the generation, which returns its slot
        long start = System.nanoTime();
        assertEquals(1, l.drain(Duration.ofMillis(200), Duration.ofSeconds(1)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "the grace period was given");
        assertTrue(slow.isCancelled());
        assertEquals(SdException.Kind.UNAVAILABLE, slow.exception().kind());
        assertEquals(0, l.running());
    }

    @Test
    void limitsMustBeSensible() {
        assertThrows(IllegalArgumentException.class, () -> new GenerationLimiter(0, 8));
        assertThrows(IllegalArgumentException.class, () -> new GenerationLimiter(2, -1));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
