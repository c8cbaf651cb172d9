package armor.runtime.kernels;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {
    @Test
    void everyIndexExactlyOnceWithGrainAlignedChunksAndAllWorkDoneOnReturn() {
        for (int n : new int[]{0, 1, 7, 64, 1000, 12345}) {
            for (int grain : new int[]{1, 8, 16, 100}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                Parallel.forRange(n, grain, (from, to) -> {
                    assertTrue(from % grain == 0, "chunk start " + from + " not a multiple of " + grain);
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    try {
                        Thread.sleep(1); // slow chunks: the caller must still wait for them
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
            }
        }
    }

    @Test
    void failureInAChunkReachesTheCaller() {
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1, (from, to) -> {
            if (from <= 500 && 500 < to) throw boom;
        }));
        assertSame(boom, e);
    }

    @Test
    void nestedLoopsComplete() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
        Parallel.forRange(64, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                Parallel.forRange(64, 1, (c, d) -> {
                    for (int j = c; j < d; j++) hits.incrementAndGet(row * 64 + j);
                });
            }
        });
        for (int i = 0; i < 64 * 64; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void loopsFromSeveralThreadsAtOnceEachCoverTheirRangeExactlyOnce() throws Exception {
        // The pool serves one caller at a time; the others run on their own thread. Back-to-back loops also
        // exercise the hand-off to a spinning worker and the late worker that must not claim a newer loop's chunks.
        int callers = 4, loops = 300, n = 257;
        AtomicIntegerArray hits = new AtomicIntegerArray(callers * loops * n);
        Thread[] threads = new Thread[callers];
        for (int c = 0; c < callers; c++) {
            int caller = c;
            threads[c] = new Thread(() -> {
                for (int l = 0; l < loops; l++) {
                    int base = (caller * loops + l) * n;
                    Parallel.forRange(n, 3, (from, to) -> {
                        for (int i = from; i < to; i++) hits.incrementAndGet(base + i);
                    });
                }
            });
            threads[c].start();
        }
        for (Thread t : threads) t.join();
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i), "index " + i);
    }
}
