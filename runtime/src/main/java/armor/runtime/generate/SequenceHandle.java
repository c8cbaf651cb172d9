package armor.runtime.generate;

/** Lets the submitter cancel a sequence (client gone); the scheduler frees its KV cache before the next step. */
public final class SequenceHandle {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
