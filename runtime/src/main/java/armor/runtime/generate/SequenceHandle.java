package armor.runtime.generate;

/**
 * Lets the submitter steer a sequence: cancel it (client gone; the scheduler frees its KV cache before the next
 * step), or pause it (the client is not taking its output: the sequence takes no step, so generating stays as far
 * ahead of the client as one step) and resume it. Each change wakes the scheduler, which waits while nothing it
 * holds can run.
 */
public final class SequenceHandle {
    private final Runnable wake;
    private volatile boolean cancelled;
    private volatile boolean paused;

    /** A handle not attached to a scheduler (nothing to wake). */
    public SequenceHandle() {
        this(() -> {});
    }

    SequenceHandle(Runnable wake) {
        this.wake = wake;
    }

    public void cancel() {
        cancelled = true;
        wake.run();
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Paused: the sequence keeps its KV cache and batch-independent state but takes no step until resumed. */
    public void pause(boolean pause) {
        if (paused == pause) return;
        paused = pause;
        if (!pause) wake.run();
    }

    public boolean isPaused() {
        return paused;
    }
}
