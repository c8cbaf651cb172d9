package armor.runtime.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The kernels' thread pool: one worker per physical core (hyper-threads share the memory bandwidth that
 * decoding is bound by, so they do not help). Work is split into contiguous ranges, one per worker.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("armor.threads", PhysicalCores.count());
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
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks whose boundaries are
     * multiples of {@code grain} (except the last), the calling thread taking the first chunk.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(THREADS, Math.max(1, (n + grain - 1) / grain));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        int units = (n + grain - 1) / grain;
        List<Future<?>> futures = new ArrayList<>(chunks - 1);
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = Math.min(n, (int) ((long) units * c / chunks) * grain);
        bounds[chunks] = n;
        for (int c = 1; c < chunks; c++) {
            int from = bounds[c], to = bounds[c + 1];
            futures.add(POOL.submit(() -> body.run(from, to)));
        }
        body.run(bounds[0], bounds[1]);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                if (e.getCause() instanceof Error err) throw err;
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
