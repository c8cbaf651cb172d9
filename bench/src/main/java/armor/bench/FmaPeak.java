package armor.bench;

import armor.runtime.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 multiply-add throughput that Vector API code reaches on this machine: independent FMA chains in
 * registers (no memory traffic), on one thread and on every thread of the kernels' pool. The reference point for
 * "how close to the arithmetic limit does prefill run", as {@link MemoryBandwidth} is for decode: a prefill at 60 % of
 * this has little left to gain without fewer multiply-adds (2:4) or integer dot products.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** FMAs per chain and call: long enough that the call overhead vanishes, short enough for a quick measurement. */
    private static final int STEPS = 1 << 22;
    /** Chunks per thread of the all-threads measurement. */
    private static final int CHUNKS = 16;

    /** Best-of-repetitions GFLOP/s (two flops per multiply-add) on one thread and on the pool's threads. */
    public record Result(double oneThreadGflops, double allThreadsGflops, int threads) {}

    private FmaPeak() {}

    public static Result measure(int repetitions) {
        double one = 0, all = 0;
        int threads = Parallel.threads();
        float[] sink = new float[threads * S.length()];
        for (int r = 0; r < repetitions + 1; r++) { // the first round compiles the loop
            long t0 = System.nanoTime();
            chains(sink, 0, STEPS);
            long t1 = System.nanoTime();
            // many small chunks, not one a thread: a worker that wakes late must not leave its share to the caller
            Parallel.forRange(CHUNKS * threads, 1, (from, to) -> {
                for (int i = from; i < to; i++) chains(sink, (i % threads) * S.length(), STEPS / CHUNKS);
            });
            long t2 = System.nanoTime();
            if (r > 0) {
                one = Math.max(one, flops(1) / (t1 - t0));
                all = Math.max(all, flops(threads) / (t2 - t1));
            }
        }
        return new Result(one, all, threads);
    }

    private static double flops(int threads) {
        return 2.0 * 12 * S.length() * (double) STEPS * threads;
    }

    /**
     * Twelve independent chains: enough to cover an FMA latency of 4–5 cycles on two FMA pipes (llama.cpp's and our
     * register tiles use 12 accumulators on AVX2 too).
     */
    private static void chains(float[] sink, int off, int steps) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), d = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0.add(d), a2 = a1.add(d), a3 = a2.add(d), a4 = a3.add(d),
                a5 = a4.add(d), a6 = a5.add(d), a7 = a6.add(d), a8 = a7.add(d), a9 = a8.add(d), a10 = a9.add(d), a11 = a10.add(d);
        for (int i = 0; i < steps; i++) {
            a0 = a0.fma(m, d); a1 = a1.fma(m, d); a2 = a2.fma(m, d); a3 = a3.fma(m, d);
            a4 = a4.fma(m, d); a5 = a5.fma(m, d); a6 = a6.fma(m, d); a7 = a7.fma(m, d);
            a8 = a8.fma(m, d); a9 = a9.fma(m, d); a10 = a10.fma(m, d); a11 = a11.fma(m, d);
        }
        a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).intoArray(sink, off);
    }
}
