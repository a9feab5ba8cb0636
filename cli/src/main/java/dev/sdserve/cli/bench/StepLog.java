package dev.sdserve.cli.bench;

import dev.sdserve.orchestrator.deepcache.StepMode;

/** The UNet calls of one generation: how many ran in each mode and their ONNX Runtime {@code run} time. */
final class StepLog {
    private int fullCalls;
    private int shallowCalls;
    private double fullRunMs;
    private double shallowRunMs;

    synchronized void add(StepMode ran, double runMs) {
        if (ran == StepMode.FULL) {
            fullCalls++;
            fullRunMs += runMs;
        } else {
            shallowCalls++;
            shallowRunMs += runMs;
        }
    }

    synchronized void clear() {
        fullCalls = 0;
        shallowCalls = 0;
        fullRunMs = 0;
        shallowRunMs = 0;
    }

    synchronized Counts counts() {
        return new Counts(fullCalls, shallowCalls, fullRunMs, shallowRunMs);
    }

    /** A snapshot; run times are NaN where they were not measured (the split run sees no ORT times). */
    record Counts(int fullCalls, int shallowCalls, double fullRunMs, double shallowRunMs) {
        int calls() {
            return fullCalls + shallowCalls;
        }

        double runMs() {
            return fullRunMs + shallowRunMs;
        }

        double meanFullMs() {
            return fullCalls == 0 ? Double.NaN : fullRunMs / fullCalls;
        }

        double meanShallowMs() {
            return shallowCalls == 0 ? Double.NaN : shallowRunMs / shallowCalls;
        }
    }
}
