package armor.runtime.generate;

/**
 * {@link BatchScheduler} cannot take or finish work: its queue is full, it is shutting down, or its loop failed and
 * cannot go on. The server answers it with 429 or 503 and a retry hint.
 */
public final class SchedulerRefusal extends RuntimeException {
    public enum Reason { QUEUE_FULL, SHUTTING_DOWN, FAILED }

    private final Reason reason;

    public SchedulerRefusal(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
