package armor.runtime.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The kernels' thread pool: one worker per physical core (hyper-threads share the memory bandwidth that
 * decoding is bound by, so they do not help). Work is split into contiguous ranges claimed by the workers.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("armor.threads", PhysicalCores.count());
    /** Chunks per thread for dynamic balancing; few enough that per-chunk overhead stays negligible. */
    private static final int CHUNKS_PER_THREAD = Integer.getInteger("armor.chunksPerThread", 4);
    private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "armor-kernel");
        t.setDaemon(true);
        return t;
    });

    /** Body of a parallel loop over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in contiguous chunks whose boundaries are multiples of {@code grain} (except the
     * last), on up to {@link #threads()} threads, the calling thread included. There are a few chunks per thread,
     * claimed dynamically: on a machine shared with other processes a descheduled worker then delays the loop by
     * one small chunk instead of holding up a whole 1/threads share (the other workers take over its chunks).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int units = (n + grain - 1) / grain;
        int chunks = Math.min(units, THREADS * CHUNKS_PER_THREAD);
        if (THREADS <= 1 || chunks <= 1) {
            body.run(0, n);
            return;
        }
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = Math.min(n, (int) ((long) units * c / chunks) * grain);
        bounds[chunks] = n;
        AtomicInteger next = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(chunks);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Helpers that start late find every chunk claimed and return at once; nobody waits for them, which also
        // keeps nested loops from waiting on queued tasks.
        Runnable worker = () -> {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) body.run(bounds[c], bounds[c + 1]);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.countDown();
                }
            }
        };
        int helpers = Math.min(THREADS, chunks) - 1;
        for (int h = 0; h < helpers; h++) POOL.execute(worker);
        worker.run();
        try {
            finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }
}
