package armor.bench;

import armor.runtime.kernels.Parallel;

/**
 * The memory bandwidth that plain Java loops reach on this machine, measured with STREAM's copy
 * ({@code a[i] = b[i]}, 8 bytes an element) and triad ({@code a[i] = b[i] + s * c[i]}, 12 bytes an element) over
 * float arrays far larger than the caches, split over the kernels' thread pool like the decode kernels.
 * The reference point for "how close to the bandwidth limit does decoding run".
 */
public final class MemoryBandwidth {
    /** Best-of-repetitions GB/s (10^9 bytes/s) for copy and triad. */
    public record Result(double copyGBs, double triadGBs) {
        public double best() {
            return Math.max(copyGBs, triadGBs);
        }
    }

    private MemoryBandwidth() {}

    /** @param elements floats per array (3 arrays are allocated); 32 M floats = 128 MB each is plenty */
    public static Result measure(int elements, int repetitions) {
        float[] a = new float[elements], b = new float[elements], c = new float[elements];
        for (int i = 0; i < elements; i++) {
            b[i] = i * 0.5f;
            c[i] = i * 0.25f;
        }
        double bestCopy = 0, bestTriad = 0;
        for (int r = 0; r < repetitions + 1; r++) { // first round warms up the JIT and the pages
            long t0 = System.nanoTime();
            Parallel.forRange(elements, 1 << 16, (from, to) -> copy(a, b, from, to));
            long t1 = System.nanoTime();
            Parallel.forRange(elements, 1 << 16, (from, to) -> triad(a, b, c, 3f, from, to));
            long t2 = System.nanoTime();
            if (r > 0) {
                bestCopy = Math.max(bestCopy, 8.0 * elements / (t1 - t0));
                bestTriad = Math.max(bestTriad, 12.0 * elements / (t2 - t1));
            }
        }
        if (a[elements / 2] == 42f) System.out.print(""); // keep the stores observable
        return new Result(bestCopy, bestTriad);
    }

    static void copy(float[] a, float[] b, int from, int to) {
        for (int i = from; i < to; i++) a[i] = b[i];
    }

    static void triad(float[] a, float[] b, float[] c, float s, int from, int to) {
        for (int i = from; i < to; i++) a[i] = b[i] + s * c[i];
    }
}
