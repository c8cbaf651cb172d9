package armor.runtime.generate;

import java.util.function.IntSupplier;

/** What {@link BatchScheduler} reports as it goes (the server's /metrics); {@link #NONE} for a command line run. */
public interface SchedulerMetrics {
    SchedulerMetrics NONE = new SchedulerMetrics() {};

    /** Called once at construction with live views of the queue and of the running sequences. */
    default void bindGauges(IntSupplier queueDepth, IntSupplier activeSequences) {}

    /** Called once at construction with a live view of the paused sequences (clients not taking their output). */
    default void bindPausedGauge(IntSupplier pausedSequences) {}

    /** A submission refused (queue full, shutting down). */
    default void rejected() {}

    default void cancelled() {}

    /** Prompt tokens prefilled for one sequence. */
    default void promptTokens(int n) {}

    default void completionTokens(int n) {}

    default void timeToFirstToken(double seconds) {}

    /** A step that only decoded: {@code tokens} sequences advanced by one token. */
    default void decodeStep(int tokens, long durationNanos) {}

    /** One token chosen from its logits (penalties, filters, draw) on the scheduler thread. */
    default void sampled(long durationNanos) {}

    /** A step that also fed prompt chunks of joining sequences; {@code rows} sequences took part. */
    default void mixedStep(int rows, long durationNanos) {}
}
