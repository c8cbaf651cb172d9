package armor.pruner.armor;

import armor.pruner.method.DampedHessian;
import armor.pruner.sparsity.Mask24;
import armor.runtime.kernels.BlockGemm;

/**
 * Refits ARMOR's continuous parameters on the full layer-wise loss after the block coordinate descent: with the
 * mask fixed, {@code f(A, C, B) = tr(E H Eᵀ)}, {@code E = W − A·C·B}, {@code H = XᵀX} damped by 1 % of its mean
 * diagonal (as SparseGPT and GPTQ damp it).
 * <p>
 * Why: ARMOR's proxy loss (NoWag's) weights each input feature by its own energy, the diagonal of H, and is blind to
 * how features move together; A and B mix features, so the correlations are exactly what they could exploit. The
 * full loss is quadratic in each of A, C and B with the other two fixed, so each step below is a least-squares problem
 * and none can raise f:
 * <ul>
 *   <li>C (the kept values): preconditioned conjugate gradients on {@code M ⊙ (AᵀA · C · BHBᵀ) = M ⊙ (Aᵀ W H Bᵀ)},
 *       warm-started at ARMOR's C, Jacobi preconditioner; each iteration is one m·n·n product;</li>
 *   <li>A: exact per output block, {@code A_I = (W_I H Z_Iᵀ)(Z_I H Z_Iᵀ)⁻¹} with {@code Z = C·B}
 *       (a b×b solve a block);</li>
 *   <li>B: conjugate gradients on the block diagonal of {@code YᵀY · B · H = YᵀW H}, {@code Y = A·C}.</li>
 * </ul>
 * The cost is a few tens of m·n² products, like SparseGPT's n³ + m·n² for the layer sizes where it matters.
 * A step that would not lower f (rounding in float32) is undone, so the result is never worse than ARMOR's.
 */
public final class ArmorRefit {
    /** Damping of H, relative to its mean diagonal (SparseGPT's and GPTQ's). */
    static final double DAMP = 0.01;
    /** Rounds of C, A and B steps {@code armor prune} runs. */
    public static final int ROUNDS = 3;
    /** Conjugate-gradient iterations of each C and B step. */
    public static final int CG_ITERATIONS = 25;

    /**
     * @param a         A with the row scaling folded in, blocks {@code (m/bOut, bOut, bOut)}
     * @param core      C, {@code m × n}, zero off the mask
     * @param b         B with the column scaling folded in, blocks {@code (n/bIn, bIn, bIn)}
     * @param lossBefore {@code tr(E H Eᵀ) / tr(W H Wᵀ)} with the undamped H, before the refit
     * @param lossAfter  the same after it
     */
    public record Result(float[] a, float[] core, float[] b, double lossBefore, double lossAfter) {}

    private final int m, n, bOut, bIn;
    private final float[] w, h, wh;
    private final boolean[] keep;
    private final double lambda, norm;

    ArmorRefit(float[] w, int m, int n, int bOut, int bIn, Mask24 mask, double[] gram) {
        this.m = m;
        this.n = n;
        this.bOut = bOut;
        this.bIn = bIn;
        this.w = w;
        this.keep = mask.toBooleans();
        double mean = 0;
        for (int j = 0; j < n; j++) mean += gram[j * n + j];
        mean /= n;
        double scale = mean > 0 ? 1 / mean : 1;
        this.h = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                // symmetric by construction; taking one triangle keeps H exactly symmetric after rounding
                float v = (float) (gram[i * n + j] * scale);
                h[i * n + j] = v;
                h[j * n + i] = v;
            }
        }
        this.lambda = mean > 0 ? DAMP : 1; // no signal at all: plain least squares on the weights
        for (int j = 0; j < n; j++) h[j * n + j] += (float) lambda;
        this.wh = new float[m * n];
        BlockGemm.gemm(m, n, n, w, 0, n, 1, h, 0, n, wh, 0, n, false);
        double wNorm = undamped(w);
        this.norm = wNorm > 0 ? wNorm : 1; // a zero weight (or no signal): report the absolute loss
    }

    /**
     * Refits A, C and B of one matrix; returns new arrays (the inputs are not modified).
     *
     * @param w    the dense weight, row-major {@code m × n}
     * @param gram {@code XᵀX} over the calibration tokens, {@code n × n} (any positive scale)
     * @param rounds      rounds of C, A and B steps
     * @param cgIterations conjugate-gradient iterations of each C and B step
     */
    public static Result refit(float[] w, int m, int n, float[] a, int bOut, float[] core, float[] b, int bIn,
                               Mask24 mask, double[] gram, int rounds, int cgIterations) {
        if (gram.length != (long) n * n) {
            throw new IllegalArgumentException("ARMOR refit: Gram matrix has " + gram.length + " entries, expected "
                    + n + "×" + n);
        }
        if (w.length != m * n || core.length != m * n || a.length != m * bOut || b.length != n * bIn) {
            throw new IllegalArgumentException("ARMOR refit: shapes disagree with a " + m + "×" + n + " weight");
        }
        ArmorRefit r = new ArmorRefit(w, m, n, bOut, bIn, mask, gram);
        float[] A = a.clone(), C = core.clone(), B = b.clone();
        double before = r.undamped(r.error(A, C, B)) / r.norm;
        double f = r.loss(A, C, B);
        for (int round = 0; round < rounds; round++) {
            f = r.stepCore(A, C, B, f, cgIterations);
            f = r.stepA(A, C, B, f);
            f = r.stepB(A, C, B, f, cgIterations);
        }
        return new Result(A, C, B, before, r.undamped(r.error(A, C, B)) / r.norm);
    }

    // ---- the loss -------------------------------------------------------------------------------------------------

    /** {@code E = W − A·C·B}. */
    float[] error(float[] A, float[] C, float[] B) {
        float[] e = ArmorOptimizer.reconstruct(A, C, B, m, n, bOut, bIn);
        for (int i = 0; i < e.length; i++) e[i] = w[i] - e[i];
        return e;
    }

    /** {@code tr(E H Eᵀ)} with the damped H. */
    private double damped(float[] e) {
        float[] eh = new float[m * n];
        BlockGemm.gemm(m, n, n, e, 0, n, 1, h, 0, n, eh, 0, n, false);
        double s = 0;
        for (int i = 0; i < e.length; i++) s += (double) e[i] * eh[i];
        return s;
    }

    /** {@code tr(E H Eᵀ)} with the undamped H: the damped value less λ‖E‖². */
    double undamped(float[] e) {
        double sq = 0;
        for (float v : e) sq += (double) v * v;
        return damped(e) - lambda * sq;
    }

    double loss(float[] A, float[] C, float[] B) {
        return damped(error(A, C, B));
    }

    // ---- C ------------------------------------------------------------------------------------------------------

    double stepCore(float[] A, float[] C, float[] B, double f, int iterations) {
        // H_C = B H Bᵀ, K = AᵀA (blocks), rhs = M ⊙ Aᵀ (W H) Bᵀ
        float[] hc = rightBlocks(leftBlocks(B, bIn, h, n, n, false), n, n, B, bIn, true);
        float[] k = gramOfBlocks(A, m / bOut, bOut);
        float[] rhs = leftBlocks(A, bOut, rightBlocks(wh, m, n, B, bIn, true), m, n, true);
        float[] diag = new float[m * n];
        for (int i = 0; i < m; i++) {
            float kii = k[(i / bOut) * bOut * bOut + (i % bOut) * bOut + (i % bOut)];
            for (int j = 0; j < n; j++) diag[i * n + j] = keep[i * n + j] ? Math.max(kii * hc[j * n + j], 1e-30f) : 1f;
        }
        float[] x = C.clone();
        float[] r = rhs;
        float[] ax = coreOperator(x, hc, k);
        for (int i = 0; i < r.length; i++) r[i] = keep[i] ? r[i] - ax[i] : 0f;
        boolean improved = conjugateGradients(x, r, diag, iterations, p -> coreOperator(p, hc, k));
        if (!improved) return f;
        double g = loss(A, x, B);
        if (!(g < f)) return f;
        System.arraycopy(x, 0, C, 0, C.length);
        return g;
    }

    /** {@code M ⊙ (K · P · H_C)}. */
    private float[] coreOperator(float[] p, float[] hc, float[] k) {
        float[] ph = new float[m * n];
        BlockGemm.gemm(m, n, n, p, 0, n, 1, hc, 0, n, ph, 0, n, false);
        float[] out = leftBlocks(k, bOut, ph, m, n, false);
        for (int i = 0; i < out.length; i++) if (!keep[i]) out[i] = 0f;
        return out;
    }

    // ---- A ------------------------------------------------------------------------------------------------------

    double stepA(float[] A, float[] C, float[] B, double f) {
        float[] z = rightBlocks(C, m, n, B, bIn, false);
        float[] zh = new float[m * n];
        BlockGemm.gemm(m, n, n, z, 0, n, 1, h, 0, n, zh, 0, n, false);
        float[] next = A.clone();
        int bb = bOut * bOut;
        double[] p = new double[bb], q = new double[bb];
        for (int blk = 0; blk < m / bOut; blk++) {
            int r0 = blk * bOut;
            for (int s = 0; s < bOut; s++) {
                for (int t = 0; t < bOut; t++) {
                    double ps = 0, qs = 0;
                    int ro = (r0 + s) * n, to = (r0 + t) * n;
                    for (int j = 0; j < n; j++) {
                        ps += (double) wh[ro + j] * z[to + j]; // (W H Zᵀ)_st = (WH)_s · Z_t
                        qs += (double) z[ro + j] * zh[to + j]; // (Z H Zᵀ)_st
                    }
                    p[s * bOut + t] = ps;
                    q[s * bOut + t] = qs;
                }
            }
            // A_I Q = P  ⇔  Q A_Iᵀ = Pᵀ (Q symmetric)
            double[] at = solveSymmetric(q, bOut, transpose(p, bOut));
            if (at == null) continue; // a singular block (a dead row block): keep the old one
            for (int s = 0; s < bOut; s++) for (int t = 0; t < bOut; t++) next[blk * bb + s * bOut + t] = (float) at[t * bOut + s];
        }
        double g = loss(next, C, B);
        if (!(g < f)) return f;
        System.arraycopy(next, 0, A, 0, A.length);
        return g;
    }

    /**
     * {@code X} with {@code Q X = R} for a symmetric positive definite Q ({@code size × size}, R with {@code size}
     * columns), by Cholesky in double; null when Q is not positive definite.
     */
    static double[] solveSymmetric(double[] q, int size, double[] r) {
        double[] l = DampedHessian.cholesky(q, size);
        if (l == null) return null;
        double[] x = r.clone();
        for (int c = 0; c < size; c++) {
            for (int i = 0; i < size; i++) { // L y = r
                double s = x[i * size + c];
                for (int k = 0; k < i; k++) s -= l[i * size + k] * x[k * size + c];
                x[i * size + c] = s / l[i * size + i];
            }
            for (int i = size - 1; i >= 0; i--) { // Lᵀ x = y
                double s = x[i * size + c];
                for (int k = i + 1; k < size; k++) s -= l[k * size + i] * x[k * size + c];
                x[i * size + c] = s / l[i * size + i];
            }
        }
        return x;
    }

    private static double[] transpose(double[] x, int size) {
        double[] t = new double[x.length];
        for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) t[j * size + i] = x[i * size + j];
        return t;
    }

    // ---- B ------------------------------------------------------------------------------------------------------

    double stepB(float[] A, float[] C, float[] B, double f, int iterations) {
        float[] y = leftBlocks(A, bOut, C, m, n, false);
        float[] g = new float[n * n]; // YᵀY
        BlockGemm.gemm(n, n, m, y, 0, 1, n, y, 0, n, g, 0, n, false);
        int nb = n / bIn, bb = bIn * bIn;
        float[] rhs = new float[n * bIn]; // blocks of (Yᵀ W H)_KK
        for (int kb = 0; kb < nb; kb++) {
            BlockGemm.gemm(bIn, bIn, m, y, kb * bIn, 1, n, wh, kb * bIn, n, rhs, kb * bb, bIn, false);
        }
        float[] diag = new float[n * bIn];
        for (int kb = 0; kb < nb; kb++) {
            for (int s = 0; s < bIn; s++) {
                for (int t = 0; t < bIn; t++) {
                    int gs = kb * bIn + s, ht = kb * bIn + t;
                    diag[kb * bb + s * bIn + t] = Math.max(g[gs * n + gs] * h[ht * n + ht], 1e-30f);
                }
            }
        }
        float[] x = B.clone();
        float[] ax = blockOperator(x, g);
        for (int i = 0; i < rhs.length; i++) rhs[i] -= ax[i];
        boolean improved = conjugateGradients(x, rhs, diag, iterations, p -> blockOperator(p, g));
        if (!improved) return f;
        double l = loss(A, C, x);
        if (!(l < f)) return f;
        System.arraycopy(x, 0, B, 0, B.length);
        return l;
    }

    /** The block diagonal of {@code G · blockdiag(P) · H}: block K is {@code (G·P)[K rows, :] · H[:, K cols]}. */
    private float[] blockOperator(float[] p, float[] g) {
        float[] gp = rightBlocks(g, n, n, p, bIn, false);
        int nb = n / bIn, bb = bIn * bIn;
        float[] out = new float[n * bIn];
        for (int kb = 0; kb < nb; kb++) {
            BlockGemm.gemm(bIn, bIn, n, gp, kb * bIn * n, n, 1, h, kb * bIn, n, out, kb * bb, bIn, false);
        }
        return out;
    }

    // ---- shared pieces ------------------------------------------------------------------------------------------

    /**
     * Preconditioned conjugate gradients on {@code op(x) = rhs} for a symmetric positive (semi)definite operator,
     * from x with the residual r already computed; x is updated in place. Returns false when nothing moved.
     */
    private static boolean conjugateGradients(float[] x, float[] r, float[] diag, int iterations,
                                              java.util.function.UnaryOperator<float[]> op) {
        int len = x.length;
        float[] z = new float[len];
        for (int i = 0; i < len; i++) z[i] = r[i] / diag[i];
        float[] p = z.clone();
        double rz = dot(r, z);
        boolean moved = false;
        for (int it = 0; it < iterations && rz > 0; it++) {
            float[] q = op.apply(p);
            double pq = dot(p, q);
            if (!(pq > 0)) break;
            float alpha = (float) (rz / pq);
            for (int i = 0; i < len; i++) {
                x[i] += alpha * p[i];
                r[i] -= alpha * q[i];
            }
            moved = true;
            for (int i = 0; i < len; i++) z[i] = r[i] / diag[i];
            double next = dot(r, z);
            float beta = (float) (next / rz);
            rz = next;
            for (int i = 0; i < len; i++) p[i] = z[i] + beta * p[i];
        }
        return moved;
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    /** {@code blockdiag(X) · Y} (or {@code blockdiag(X)ᵀ · Y}) for Y of {@code rows × cols}, blocks of {@code size}. */
    static float[] leftBlocks(float[] x, int size, float[] y, int rows, int cols, boolean transpose) {
        float[] out = new float[rows * cols];
        int bb = size * size;
        for (int blk = 0; blk < rows / size; blk++) {
            int xsi = transpose ? 1 : size, xsk = transpose ? size : 1;
            BlockGemm.gemm(size, cols, size, x, blk * bb, xsi, xsk, y, blk * size * cols, cols, out,
                    blk * size * cols, cols, false);
        }
        return out;
    }

    /** {@code Y · blockdiag(X)} (or {@code Y · blockdiag(X)ᵀ}) for Y of {@code rows × cols}, blocks of {@code size}. */
    static float[] rightBlocks(float[] y, int rows, int cols, float[] x, int size, boolean transpose) {
        float[] out = new float[rows * cols];
        int bb = size * size;
        float[] blockT = transpose ? new float[bb] : null;
        for (int blk = 0; blk < cols / size; blk++) {
            float[] src = x;
            int so = blk * bb;
            if (transpose) {
                for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) blockT[j * size + i] = x[so + i * size + j];
                src = blockT;
                so = 0;
            }
            BlockGemm.gemm(rows, size, size, y, blk * size, cols, 1, src, so, size, out, blk * size, cols, false);
        }
        return out;
    }

    /** {@code X_Iᵀ X_I} for each block. */
    private static float[] gramOfBlocks(float[] x, int count, int size) {
        int bb = size * size;
        float[] out = new float[count * bb];
        for (int blk = 0; blk < count; blk++) {
            BlockGemm.gemm(size, size, size, x, blk * bb, 1, size, x, blk * bb, size, out, blk * bb, size, false);
        }
        return out;
    }
}
