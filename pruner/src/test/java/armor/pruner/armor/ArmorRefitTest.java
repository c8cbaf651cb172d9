package armor.pruner.armor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.pruner.sparsity.Mask24;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ArmorRefit} against references computed here in double with plain loops: each step must end at the
 * minimizer of the full layer loss over its own parameters (its gradient, computed independently, vanishes), a C step
 * from a perturbed core with the true A and B must find the true core, and the reported losses must be the loss of
 * the returned matrices.
 */
class ArmorRefitTest {
    private static final int M = 12, N = 16, B_OUT = 4, B_IN = 8, TOKENS = 96;

    /** A random problem: correlated inputs with features of different scales, A and B near the identity. */
    private record Problem(float[] w, float[] a, float[] c, float[] b, Mask24 mask, double[] gram) {
        ArmorRefit refit() {
            return new ArmorRefit(w, M, N, B_OUT, B_IN, mask, gram);
        }
    }

    private static Problem problem(long seed) {
        Random r = new Random(seed);
        double[] x = new double[TOKENS * N];
        double[] mix = new double[N * N];
        for (int i = 0; i < mix.length; i++) mix[i] = r.nextGaussian() * 0.5 + (i / N == i % N ? 1 : 0);
        for (int t = 0; t < TOKENS; t++) {
            double[] z = new double[N];
            for (int j = 0; j < N; j++) z[j] = r.nextGaussian() * (1 + 3 * (j % 3));
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) s += z[k] * mix[k * N + j];
                x[t * N + j] = s;
            }
        }
        double[] gram = new double[N * N];
        for (int t = 0; t < TOKENS; t++) {
            for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) gram[i * N + j] += x[t * N + i] * x[t * N + j];
        }
        float[] w = new float[M * N];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Mask24 mask = new Mask24(M, N);
        for (int i = 0; i < M; i++) for (int g = 0; g < N / 4; g++) mask.setPattern(i, g, r.nextInt(6));
        float[] c = w.clone();
        mask.apply(c);
        return new Problem(w, nearIdentity(r, M / B_OUT, B_OUT), c, nearIdentity(r, N / B_IN, B_IN), mask, gram);
    }

    private static float[] nearIdentity(Random r, int count, int size) {
        float[] x = new float[count * size * size];
        for (int k = 0; k < count; k++) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    x[k * size * size + i * size + j] = (i == j ? 1f : 0f) + 0.2f * (float) r.nextGaussian();
                }
            }
        }
        return x;
    }

    // ---- references in double ------------------------------------------------------------------------------------

    private static double[] dense(float[] blocks, int dim, int size) {
        double[] d = new double[dim * dim];
        for (int k = 0; k < dim / size; k++) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) d[(k * size + i) * dim + k * size + j] = blocks[k * size * size + i * size + j];
            }
        }
        return d;
    }

    private static double[] mul(double[] x, double[] y, int rows, int inner, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < inner; k++) {
                double v = x[i * inner + k];
                for (int j = 0; j < cols; j++) out[i * cols + j] += v * y[k * cols + j];
            }
        }
        return out;
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** H as the refit weighs it: the Gram matrix over its mean diagonal, plus 1 % on the diagonal. */
    private static double[] dampedH(double[] gram) {
        double mean = 0;
        for (int j = 0; j < N; j++) mean += gram[j * N + j];
        mean /= N;
        double[] h = new double[N * N];
        for (int i = 0; i < h.length; i++) h[i] = gram[i] / mean;
        for (int j = 0; j < N; j++) h[j * N + j] += ArmorRefit.DAMP;
        return h;
    }

    private static double[] error(Problem p, float[] a, float[] c, float[] b) {
        double[] acb = mul(mul(dense(a, M, B_OUT), toDouble(c), M, M, N), dense(b, N, B_IN), M, N, N);
        double[] e = new double[M * N];
        for (int i = 0; i < e.length; i++) e[i] = p.w()[i] - acb[i];
        return e;
    }

    /** {@code tr(E H Eᵀ)}. */
    private static double trace(double[] e, double[] h) {
        double[] eh = mul(e, h, M, N, N);
        double s = 0;
        for (int i = 0; i < e.length; i++) s += e[i] * eh[i];
        return s;
    }

    /** The gradients of {@code tr(E H Eᵀ)} (damped H): {C (masked), A (blocks), B (blocks)} as norms. */
    private static double[] gradientNorms(Problem p, float[] a, float[] c, float[] b) {
        double[] h = dampedH(p.gram());
        double[] ge = mul(error(p, a, c, b), h, M, N, N); // ∂/∂Ŵ = −2 E H; the sign and 2 do not change a norm
        double[] ad = dense(a, M, B_OUT), bd = dense(b, N, B_IN), cd = toDouble(c);
        double[] gc = mul(mul(transpose(ad, M, M), ge, M, M, N), transpose(bd, N, N), M, N, N);
        double[] ga = mul(ge, transpose(mul(cd, bd, M, N, N), M, N), M, N, M);
        double[] gb = mul(transpose(mul(ad, cd, M, M, N), M, N), ge, N, M, N);
        boolean[] keep = p.mask().toBooleans();
        double nc = 0, na = 0, nb = 0;
        for (int i = 0; i < M * N; i++) if (keep[i]) nc += gc[i] * gc[i];
        for (int i = 0; i < M; i++) for (int j = 0; j < M; j++) if (i / B_OUT == j / B_OUT) na += ga[i * M + j] * ga[i * M + j];
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) if (i / B_IN == j / B_IN) nb += gb[i * N + j] * gb[i * N + j];
        return new double[] {Math.sqrt(nc), Math.sqrt(na), Math.sqrt(nb)};
    }

    // ---- the tests ---------------------------------------------------------------------------------------------

    /** One step of the refit on (A, C, B) in place, from loss f; returns the loss after it. */
    @FunctionalInterface
    private interface Step {
        double run(ArmorRefit r, float[] a, float[] c, float[] b, double f);
    }

    /**
     * Runs {@code step} on a random problem and checks that it lowers the loss, leaves the other two parameters
     * alone, and ends where the gradient of its own parameter ({@code which}: 0 C, 1 A, 2 B) has vanished.
     * Returns the stepped (A, C, B).
     */
    private static float[][] assertStepEndsAtItsMinimum(Problem p, int which, Step step) {
        ArmorRefit r = p.refit();
        float[] a = p.a().clone(), c = p.c().clone(), b = p.b().clone();
        double before = gradientNorms(p, a, c, b)[which];
        double f0 = r.loss(a, c, b);
        double f1 = step.run(r, a, c, b, f0);
        assertTrue(f1 < f0, "the step lowers the loss: " + f0 + " → " + f1);
        if (which != 1) assertArrayEquals(p.a(), a, "A untouched");
        if (which != 0) assertArrayEquals(p.c(), c, "C untouched");
        if (which != 2) assertArrayEquals(p.b(), b, "B untouched");
        double after = gradientNorms(p, a, c, b)[which];
        assertTrue(after < 1e-3 * before, "‖∂f/∂" + "CAB".charAt(which) + "‖ " + before + " → " + after);
        return new float[][] {a, c, b};
    }

    @Test
    void coreStepEndsWhereTheCoreGradientVanishes() {
        Problem p = problem(1);
        float[] c = assertStepEndsAtItsMinimum(p, 0, (r, a, cc, b, f) -> r.stepCore(a, cc, b, f, 200))[1];
        boolean[] keep = p.mask().toBooleans();
        for (int i = 0; i < c.length; i++) if (!keep[i]) assertEquals(0f, c[i], "pruned value " + i + " stays zero");
    }

    @Test
    void coreStepFindsTheTrueCoreOfAnExactFactorization() {
        Problem p = problem(2);
        // W = A·C·B exactly: the loss is zero at C, so the C step from a perturbed core must come back to it
        double[] acb = mul(mul(dense(p.a(), M, B_OUT), toDouble(p.c()), M, M, N), dense(p.b(), N, B_IN), M, N, N);
        float[] w = new float[M * N];
        for (int i = 0; i < w.length; i++) w[i] = (float) acb[i];
        Problem exact = new Problem(w, p.a(), p.c(), p.b(), p.mask(), p.gram());
        ArmorRefit r = exact.refit();
        float[] c = p.c().clone();
        Random rnd = new Random(3);
        for (int i = 0; i < c.length; i++) if (c[i] != 0) c[i] += 0.3f * (float) rnd.nextGaussian();
        float[] a = p.a().clone(), b = p.b().clone();
        r.stepCore(a, c, b, r.loss(a, c, b), 200);
        for (int i = 0; i < c.length; i++) assertEquals(p.c()[i], c[i], 2e-3, "kept value " + i);
    }

    @Test
    void aStepIsTheExactBlockSolution() {
        assertStepEndsAtItsMinimum(problem(4), 1, (r, a, c, b, f) -> r.stepA(a, c, b, f));
    }

    @Test
    void bStepEndsWhereTheBlockGradientVanishes() {
        assertStepEndsAtItsMinimum(problem(5), 2, (r, a, c, b, f) -> r.stepB(a, c, b, f, 200));
    }

    @Test
    void refitReportsTheUndampedLossOfWhatItReturns() {
        Problem p = problem(6);
        float[] a0 = p.a().clone(), c0 = p.c().clone();
        ArmorRefit.Result res = ArmorRefit.refit(p.w(), M, N, p.a(), B_OUT, p.c(), p.b(), B_IN, p.mask(), p.gram(),
                ArmorRefit.ROUNDS, ArmorRefit.CG_ITERATIONS);
        assertArrayEquals(a0, p.a(), "inputs are not modified");
        assertArrayEquals(c0, p.c(), "inputs are not modified");
        double[] h = p.gram();
        double norm = trace(error(p, new float[a0.length], new float[c0.length], p.b()), h); // E = W: tr(W H Wᵀ)
        double before = trace(error(p, p.a(), p.c(), p.b()), h) / norm;
        double after = trace(error(p, res.a(), res.core(), res.b()), h) / norm;
        assertEquals(before, res.lossBefore(), 1e-4 * before);
        assertEquals(after, res.lossAfter(), 1e-4 * before);
        assertTrue(after < 0.9 * before, "the refit lowers the layer loss: " + before + " → " + after);
    }
}
