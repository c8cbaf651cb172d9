package armor.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes written to all connections that their sockets have not taken yet: what clients that do not read make the
 * server hold. Admission refuses new generations while it is over {@link OutputLimits#total()}.
 */
final class OutputBudget {
    private final AtomicLong queued = new AtomicLong();
    private final long limit;

    OutputBudget(long limit) {
        this.limit = limit;
    }

    void add(long bytes) {
        queued.addAndGet(bytes);
    }

    long queued() {
        return queued.get();
    }

    boolean exhausted() {
        return queued.get() > limit;
    }

    long limit() {
        return limit;
    }
}
