package armor.pruner.armor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.pruner.method.NoWagP;
import armor.pruner.method.PrunedWeight;
import armor.pruner.nowag.NoWagNormalization;
import armor.pruner.nowag.ProxyLoss;
import armor.pruner.sparsity.Mask24;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Section 12 of the spec: the ARMOR optimizer against finite differences, brute force and NoWag-P. */
class ArmorOptimizerTest {
    static final int M = 16, N = 24, BLOCK = 8;

    static float[] randomWeight(Random rnd, int m, int n) {
        float[] w = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * (0.5f + (i % 7) * 0.2f);
        return w;
    }

    static float[] randomH(Random rnd, int n) {
        float[] h = new float[n];
        for (int j = 0; j < n; j++) h[j] = (float) (0.05 + Math.exp(rnd.nextGaussian()));
        return h;
    }

    static ArmorOptimizer optimizer(long seed, int threads) {
        Random rnd = new Random(seed);
        float[] w = randomWeight(rnd, M, N);
        float[] h = randomH(rnd, N);
        return new ArmorOptimizer(w, M, N, h, ArmorSettings.defaults().withBlock(BLOCK).withThreads(threads));
    }

    /** Moves A, B and W' away from the identity start so that every gradient term is exercised. */
    static void scramble(ArmorOptimizer opt, long seed) {
        Random rnd = new Random(seed);
        float[] a = opt.a(), b = opt.b(), c = opt.rawCore();
        for (int i = 0; i < a.length; i++) a[i] += (float) (0.3 * rnd.nextGaussian());
        for (int i = 0; i < b.length; i++) b[i] += (float) (0.3 * rnd.nextGaussian());
        for (int i = 0; i < c.length; i++) c[i] += (float) (0.2 * rnd.nextGaussian());
        opt.pass(false, false);
    }

    /** The loss computed from scratch in double: κ Σ (A (W'⊙M) B − W̄)² h over the dense block-diagonal product. */
    static double referenceLoss(double[] a, double[] b, double[] core, Mask24 mask, ArmorOptimizer opt) {
        int m = opt.rows(), n = opt.cols(), bo = opt.blockOut(), bi = opt.blockIn();
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[i * n + j] = mask.isKept(i, j) ? core[i * n + j] : 0;
        double[] cb = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int kb = j / bi;
                double s = 0;
                for (int q = 0; q < bi; q++) s += c[i * n + kb * bi + q] * b[kb * bi * bi + q * bi + (j - kb * bi)];
                cb[i * n + j] = s;
            }
        }
        float[] wbar = opt.normalizedTarget(), h = opt.h();
        double loss = 0;
        for (int i = 0; i < m; i++) {
            int ib = i / bo;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < bo; p++) s += a[ib * bo * bo + (i - ib * bo) * bo + p] * cb[(ib * bo + p) * n + j];
                double e = s - wbar[i * n + j];
                loss += e * e * h[j];
            }
        }
        return opt.kappa() * loss;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    @Test
    void gradientsMatchCentralFiniteDifferences() {
        for (int threads : new int[] {1, 2}) {
            ArmorOptimizer opt = optimizer(1, threads);
            scramble(opt, 2);
            double[] a = toDouble(opt.a()), b = toDouble(opt.b()), c = toDouble(opt.rawCore());
            Mask24 mask = opt.mask();
            assertEquals(referenceLoss(a, b, c, mask, opt), opt.loss(), 1e-5 * opt.loss(), "loss of the pass");
            checkGradient("A", a, opt.gradA(), () -> referenceLoss(a, b, c, mask, opt));
            checkGradient("B", b, opt.gradB(), () -> referenceLoss(a, b, c, mask, opt));
            checkGradient("W'", c, opt.gradCore(), () -> referenceLoss(a, b, c, mask, opt));
            float[] gc = opt.gradCore();
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    if (!mask.isKept(i, j)) assertEquals(0f, Math.abs(gc[i * N + j]), "off-mask gradient of W' at " + i + "," + j);
                }
            }
        }
    }

    private static void checkGradient(String name, double[] p, float[] grad, java.util.function.DoubleSupplier loss) {
        double maxAbs = 0;
        for (float g : grad) maxAbs = Math.max(maxAbs, Math.abs(g));
        assertTrue(maxAbs > 1e-4, name + " gradient is all but zero");
        double eps = 1e-3;
        for (int i = 0; i < p.length; i++) {
            double keep = p[i];
            p[i] = keep + eps;
            double up = loss.getAsDouble();
            p[i] = keep - eps;
            double down = loss.getAsDouble();
            p[i] = keep;
            double fd = (up - down) / (2 * eps);
            assertEquals(fd, grad[i], 2e-4 * maxAbs + 1e-7, name + " gradient at " + i);
        }
    }

    /**
     * The block-parallel discrete step against brute force applied one block at a time: for every block, the
     * selected group is re-solved by minimizing the full loss (fit of the exact quadratic in the two kept values)
     * over all six patterns, with the blocks updated before it already applied.
     */
    @Test
    void discreteStepEqualsSequentialBruteForce() {
        for (long s = 3; s < 6; s++) {
            final long seed = s;
            ArmorOptimizer opt = optimizer(seed, 2);
            scramble(opt, seed * 11);
            int g4 = opt.blockIn() / 4;
            int count = opt.blockOut() * g4;
            GroupSelection fixed = (it, bi, bk, scores, cnt) -> (bi * 7 + bk * 5 + (int) seed) % count;
            opt.setSelection(fixed);
            double[] a = toDouble(opt.a()), b = toDouble(opt.b()), c = toDouble(opt.rawCore());
            Mask24 mask = Mask24.fromPatternBytes(opt.mask().patternBytes(), M, N, "copy");
            double before = referenceLoss(a, b, c, mask, opt);
            for (int bi = 0; bi < M / opt.blockOut(); bi++) {
                for (int bk = 0; bk < N / opt.blockIn(); bk++) {
                    int g = fixed.select(0, bi, bk, null, count);
                    int row = bi * opt.blockOut() + g / g4, col = bk * opt.blockIn() + 4 * (g % g4);
                    bruteForceGroup(a, b, c, mask, opt, row, col);
                }
            }
            double expected = referenceLoss(a, b, c, mask, opt);
            opt.pass(false, true);
            assertTrue(expected <= before + 1e-12, "brute force never increases the loss");
            assertArrayEquals(mask.toBooleans(), opt.mask().toBooleans(), "masks of the parallel step and sequential brute force");
            float[] got = opt.core();
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    double want = mask.isKept(i, j) ? c[i * N + j] : 0;
                    assertEquals(want, got[i * N + j], 1e-4 * (1 + Math.abs(want)), "core value at " + i + "," + j);
                }
            }
            assertEquals(expected, opt.loss(), 1e-5 * expected, "loss after the step (incrementally updated)");
        }
    }

    private static void bruteForceGroup(double[] a, double[] b, double[] c, Mask24 mask, ArmorOptimizer opt,
                                        int row, int col) {
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestP = -1;
        double bv0 = 0, bv1 = 0;
        double[] saved = new double[4];
        for (int t = 0; t < 4; t++) saved[t] = c[row * N + col + t];
        int savedP = mask.pattern(row, col / 4);
        for (int p = 0; p < 6; p++) {
            int s0 = Mask24.PATTERNS[p][0], s1 = Mask24.PATTERNS[p][1];
            mask.setPattern(row, col / 4, p);
            java.util.function.BiFunction<Double, Double, Double> f = (x, y) -> {
                c[row * N + col + s0] = x;
                c[row * N + col + s1] = y;
                return referenceLoss(a, b, c, mask, opt);
            };
            double l0 = f.apply(0.0, 0.0), lx = f.apply(1.0, 0.0), lmx = f.apply(-1.0, 0.0);
            double ly = f.apply(0.0, 1.0), lmy = f.apply(0.0, -1.0), lxy = f.apply(1.0, 1.0);
            double qxx = (lx + lmx - 2 * l0) / 2, qyy = (ly + lmy - 2 * l0) / 2, cxy = lxy - lx - ly + l0;
            double gx = (lx - lmx) / 2, gy = (ly - lmy) / 2;
            // minimize l0 + gx·x + gy·y + qxx·x² + qyy·y² + cxy·x·y: the gradient is zero where
            // [[2qxx, cxy], [cxy, 2qyy]] v = −g
            double q11 = 2 * qxx, q22 = 2 * qyy, q12 = cxy;
            double det = q11 * q22 - q12 * q12;
            double vx = -(q22 * gx - q12 * gy) / det, vy = -(-q12 * gx + q11 * gy) / det;
            double l = f.apply(vx, vy);
            if (l < bestLoss - 1e-12) {
                bestLoss = l;
                bestP = p;
                bv0 = vx;
                bv1 = vy;
            }
            for (int t = 0; t < 4; t++) c[row * N + col + t] = saved[t];
        }
        mask.setPattern(row, col / 4, bestP);
        c[row * N + col + Mask24.PATTERNS[bestP][0]] = bv0;
        c[row * N + col + Mask24.PATTERNS[bestP][1]] = bv1;
        assertTrue(savedP >= 0);
    }

    @Test
    void discreteStepNeverIncreasesTheLoss() {
        ArmorOptimizer opt = optimizer(7, 1);
        scramble(opt, 8);
        double prev = opt.loss();
        for (int i = 0; i < 50; i++) {
            opt.pass(false, true);
            assertTrue(opt.loss() <= prev * (1 + 1e-6) + 1e-9, "step " + i + ": " + opt.loss() + " > " + prev);
            prev = opt.loss();
        }
    }

    @Test
    void everyGroupKeepsExactlyTwoValuesAfterEveryStep() {
        ArmorOptimizer opt = optimizer(9, 2);
        for (int it = 0; it < 40; it++) {
            opt.step();
            float[] c = opt.core();
            Mask24 mask = opt.mask();
            for (int i = 0; i < M; i++) {
                for (int g = 0; g < N / 4; g++) {
                    int kept = 0, nonzero = 0;
                    for (int t = 0; t < 4; t++) {
                        if (mask.isKept(i, 4 * g + t)) kept++;
                        if (c[i * N + 4 * g + t] != 0f) nonzero++;
                        if (!mask.isKept(i, 4 * g + t)) assertEquals(0f, Math.abs(c[i * N + 4 * g + t]));
                    }
                    assertEquals(2, kept, "kept entries in row " + i + " group " + g + " after step " + it);
                    assertTrue(nonzero <= 2);
                }
            }
        }
    }

    @Test
    void initEqualsNoWagP() {
        Random rnd = new Random(12);
        float[] w = randomWeight(rnd, M, N);
        float[] h = randomH(rnd, N);
        ArmorOptimizer opt = new ArmorOptimizer(w, M, N, h, ArmorSettings.defaults().withBlock(BLOCK));
        PrunedWeight nowag = NoWagP.prune(w, M, N, h);
        assertArrayEquals(nowag.mask().toBooleans(), opt.mask().toBooleans(), "same mask as NoWag-P");
        float[] rec = opt.reconstruct();
        for (int i = 0; i < w.length; i++) assertEquals(nowag.weight()[i], rec[i], 1e-5 * (1 + Math.abs(w[i])));
        double nowagLoss = new ProxyLoss(NoWagNormalization.of(w, M, N), h).ofWeight(nowag.weight());
        assertEquals(nowagLoss, opt.initialLoss(), 1e-5 * nowagLoss, "initial loss equals NoWag-P's");
    }

    @Test
    void armorLowersTheLossAndReconstructsConsistently() {
        Random rnd = new Random(21);
        int m = 32, n = 64;
        float[] w = randomWeight(rnd, m, n);
        float[] h = randomH(rnd, n);
        ArmorOptimizer opt = new ArmorOptimizer(w, m, n, h,
                new ArmorSettings(16, 400, 1e-2, 0, 100, 1e-6, 1e-8, 2));
        opt.run(null);
        assertTrue(opt.loss() < 0.8 * opt.initialLoss(), opt.loss() + " vs " + opt.initialLoss());
        double recomputed = new ProxyLoss(NoWagNormalization.of(w, m, n), h).ofWeight(opt.reconstruct());
        assertEquals(recomputed, opt.loss(), 1e-4 * recomputed, "tracked loss equals the loss of the reconstruction");
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        ArmorOptimizer one = optimizer(30, 1), two = optimizer(30, 2);
        for (int i = 0; i < 20; i++) {
            one.step();
            two.step();
        }
        assertArrayEquals(two.mask().toBooleans(), one.mask().toBooleans());
        assertEquals(one.loss(), two.loss(), 1e-5 * one.loss());
    }

    @Test
    void earlyStoppingFiresAfterPatience() {
        EarlyStopping s = new EarlyStopping(3, 1e-6, 1e-8, 1.0);
        assertTrue(!s.update(0.5));
        assertTrue(!s.update(0.5));
        assertTrue(!s.update(0.5));
        assertTrue(!s.update(0.4)); // improvement resets patience
        assertTrue(!s.update(0.4));
        assertTrue(!s.update(0.4));
        assertTrue(s.update(0.4));
    }
}
