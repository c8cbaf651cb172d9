package armor.bench;

import armor.pruner.armor.ArmorOptimizer;
import armor.pruner.armor.ArmorSettings;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Random;

/**
 * ARMOR optimizer speed: iterations per second (one Adam step on A, B and W' plus one discrete 2:4 step) on one
 * random {@code rows × cols} matrix. The reference point is PyTorch on the same 2-core machine: 0.17 it/s for
 * 4096×4096 with b = 128 (docs perf-notes).
 */
public final class ArmorIterationBench {

    /** What one run measured. */
    public record Result(int rows, int cols, int block, int threads, int iterations, double[] secondsPerIteration,
                         double initialLoss, double finalLoss) {
        public double medianSeconds() {
            double[] s = secondsPerIteration.clone();
            Arrays.sort(s);
            return s[s.length / 2];
        }

        public double iterationsPerSecond() {
            return 1.0 / medianSeconds();
        }

        /** Multiply-adds of the six b×b block products per block and iteration, per second. */
        public double gflops() {
            double macs = 6.0 * rows * (double) cols * block;
            return 2 * macs / medianSeconds() / 1e9;
        }
    }

    private ArmorIterationBench() {}

    public static Result run(int rows, int cols, int block, int threads, int warmup, int iterations, PrintStream log) {
        Random rnd = new Random(0);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        float[] h = new float[cols];
        for (int j = 0; j < cols; j++) h[j] = (float) Math.exp(rnd.nextGaussian());
        long t0 = System.nanoTime();
        ArmorOptimizer opt = new ArmorOptimizer(w, rows, cols, h,
                ArmorSettings.defaults().withBlock(block).withThreads(threads));
        if (log != null) {
            log.printf("setup (normalization, NoWag-P mask, first gradients): %.2f s%n", (System.nanoTime() - t0) / 1e9);
        }
        for (int i = 0; i < warmup; i++) opt.step();
        double[] secs = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long s = System.nanoTime();
            double loss = opt.step();
            secs[i] = (System.nanoTime() - s) / 1e9;
            if (log != null) log.printf("iteration %d: %.3f s, proxy loss %.6f%n", i + 1, secs[i], loss);
        }
        return new Result(rows, cols, opt.blockOut(), threads, iterations, secs, opt.initialLoss(), opt.loss());
    }
}
