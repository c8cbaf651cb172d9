package armor.runtime.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The kernels' thread pool: one worker per physical core (hyper-threads share the memory bandwidth that
 * decoding is bound by, so they do not help). Work is split into contiguous ranges claimed by the workers.
 *
 * <p>Decoding one token calls the pool about 120 times for a 16-layer model, each call a few hundred
 * microseconds of work, so the hand-off must cost far less than that. A worker that has just finished a loop
 * spins for {@link #SPIN_NANOS} (with {@link Thread#onSpinWait}) watching for the next one before it parks, and
 * the caller spins while the last chunks finish: waking a parked thread through the OS scheduler costs 50–100 µs
 * on the 2-vCPU machines this was measured on (docs/benchmarks.md), as long as a 512 × 2048 projection takes.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("armor.threads", PhysicalCores.count());
    /** Chunks per thread for dynamic balancing; few enough that per-chunk overhead stays negligible. */
    private static final int CHUNKS_PER_THREAD = Integer.getInteger("armor.chunksPerThread", 4);
    /** How long an idle worker watches for the next loop before parking: longer than the gaps inside a token. */
    private static final long SPIN_NANOS = Long.getLong("armor.spinMicros", 2_000) * 1_000;

    /** Body of a parallel loop over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** One call of {@link #forRange}: its chunks, claimed by whoever comes first, and its completion count. */
    private static final class Loop {
        final RangeBody body;
        final int[] bounds;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(RangeBody body, int[] bounds) {
            this.body = body;
            this.bounds = bounds;
            this.chunks = bounds.length - 1;
        }

        /** Claims and runs chunks until none is left; a worker that arrives late finds none and returns. */
        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) body.run(bounds[c], bounds[c + 1]);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.incrementAndGet();
                }
            }
        }

        boolean done() {
            return finished.get() >= chunks;
        }
    }

    /** The loop the workers should join; replaced by each call, so a late worker never claims a newer loop's chunks. */
    private static volatile Loop current;
    /** Held by the one caller whose loop the workers serve; a nested or concurrent call runs on its own thread. */
    private static final AtomicBoolean inUse = new AtomicBoolean();
    private static final Worker[] WORKERS = new Worker[Math.max(0, THREADS - 1)];

    static {
        for (int i = 0; i < WORKERS.length; i++) WORKERS[i] = new Worker(i);
    }

    private static final class Worker extends Thread {
        /** True while parked (or about to park): the caller unparks only those, keeping the fast path syscall-free. */
        volatile boolean parked;

        Worker(int i) {
            super("armor-kernel-" + i);
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            Loop seen = null;
            long idleSince = System.nanoTime();
            while (true) {
                Loop loop = current;
                if (loop != null && loop != seen) {
                    seen = loop;
                    loop.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    Loop now = current; // re-checked after announcing: a caller either sees parked or we see its loop
                    if (now == null || now == seen) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in contiguous chunks whose boundaries are multiples of {@code grain} (except the
     * last), on up to {@link #threads()} threads, the calling thread included. There are a few chunks per thread,
     * claimed dynamically: on a machine shared with other processes a descheduled worker then delays the loop by
     * one small chunk instead of holding up a whole 1/threads share (the other threads take over its chunks).
     * A call made while the pool serves another (a nested loop, or a second thread) runs on the calling thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int units = (n + grain - 1) / grain;
        int chunks = Math.min(units, THREADS * CHUNKS_PER_THREAD);
        if (THREADS <= 1 || chunks <= 1 || !inUse.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            int[] bounds = new int[chunks + 1];
            for (int c = 0; c <= chunks; c++) bounds[c] = Math.min(n, (int) ((long) units * c / chunks) * grain);
            bounds[chunks] = n;
            Loop loop = new Loop(body, bounds);
            current = loop;
            for (Worker w : WORKERS) if (w.parked) LockSupport.unpark(w);
            loop.work();
            awaitChunks(loop);
            current = null;
            Throwable t = loop.failure.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error err) throw err;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            inUse.set(false);
        }
    }

    /** Waits for chunks still running on workers: spins briefly (they usually end within microseconds), then sleeps. */
    private static void awaitChunks(Loop loop) {
        long start = System.nanoTime();
        while (!loop.done()) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(20_000);
        }
    }
}
