package armor.pruner.method;

import armor.pruner.sparsity.Mask24;

/**
 * SparseGPT for 2:4 (Frantar and Alistarh): OBS pruning column by column with the upper Cholesky factor of the
 * damped inverse Gram matrix, lazy updates in column blocks of 128, and the 2:4 choice made per group on the OBS
 * score {@code w² / U_jj²} of the already-updated weights when the group's first column comes up.
 */
public final class SparseGpt {
    static final int LAZY_BLOCK = 128;
    static final double DAMP = 0.01;

    private SparseGpt() {}

    /**
     * @param w    the dense weight, row-major {@code rows × cols} (not modified)
     * @param gram {@code XᵀX} over the calibration tokens, {@code cols × cols} row-major (any positive scale)
     */
    public static PrunedWeight prune(float[] w, int rows, int cols, double[] gram) {
        if (gram.length != (long) cols * cols) {
            throw new IllegalArgumentException("SparseGPT Gram matrix has " + gram.length + " entries, expected "
                    + cols + "×" + cols);
        }
        int n = cols;
        float[] W = w.clone();
        double[] H = gram.clone();
        for (int j = 0; j < n; j++) {
            if (H[j * n + j] == 0) { // a dead input feature: its weights cannot matter, prune them for free
                H[j * n + j] = 1;
                for (int r = 0; r < rows; r++) W[r * n + j] = 0;
            }
        }
        double mean = 0;
        for (int j = 0; j < n; j++) mean += H[j * n + j];
        double lambda = DAMP * mean / n;
        double[] U = null;
        for (int attempt = 0; attempt < 10 && U == null; attempt++) {
            for (int j = 0; j < n; j++) H[j * n + j] += lambda; // the reference adds λ again on every retry
            U = upperCholeskyOfInverse(H, n);
        }
        if (U == null) throw new IllegalStateException("SparseGPT: the damped Gram matrix is not positive definite");

        Mask24 mask = new Mask24(rows, cols);
        float[] score = new float[4];
        for (int c0 = 0; c0 < n; c0 += LAZY_BLOCK) {
            int c1 = Math.min(c0 + LAZY_BLOCK, n), cnt = c1 - c0;
            float[] w1 = new float[rows * cnt];
            float[] err = new float[rows * cnt];
            boolean[] pruned = new boolean[rows * cnt];
            for (int r = 0; r < rows; r++) System.arraycopy(W, r * n + c0, w1, r * cnt, cnt);
            for (int i = 0; i < cnt; i++) {
                if (i % 4 == 0) {
                    for (int r = 0; r < rows; r++) {
                        for (int t = 0; t < 4; t++) {
                            double u = U[(c0 + i + t) * n + (c0 + i + t)];
                            double v = w1[r * cnt + i + t];
                            score[t] = (float) (v * v / (u * u));
                        }
                        int p = Mask24.patternKeepingLargest(score, 0);
                        mask.setPattern(r, (c0 + i) / 4, p);
                        int kept = Mask24.keptBits(p);
                        for (int t = 0; t < 4; t++) pruned[r * cnt + i + t] = (kept & (1 << t)) == 0;
                    }
                }
                double d = U[(c0 + i) * n + (c0 + i)];
                int urow = (c0 + i) * n + c0;
                for (int r = 0; r < rows; r++) {
                    int o = r * cnt;
                    float wv = w1[o + i];
                    float q = pruned[o + i] ? 0f : wv;
                    float e = (float) ((wv - q) / d);
                    if (e != 0f) {
                        for (int k = i + 1; k < cnt; k++) w1[o + k] -= (float) (e * U[urow + k]);
                    }
                    w1[o + i] = q;
                    err[o + i] = e;
                }
            }
            for (int r = 0; r < rows; r++) System.arraycopy(w1, r * cnt, W, r * n + c0, cnt);
            // lazy update of the later columns: W[:, c1:] -= Err · U[c0:c1, c1:]
            for (int r = 0; r < rows; r++) {
                int o = r * n;
                for (int i = 0; i < cnt; i++) {
                    float e = err[r * cnt + i];
                    if (e == 0f) continue;
                    int urow = (c0 + i) * n;
                    for (int k = c1; k < n; k++) W[o + k] -= (float) (e * U[urow + k]);
                }
            }
        }
        mask.apply(W);
        return new PrunedWeight(rows, cols, W, mask);
    }

    /**
     * The upper triangular U with {@code H⁻¹ = Uᵀ U}, in double (the factorization of an n×n matrix is cheap next to
     * the statistics, and double keeps it stable for ill-conditioned Gram matrices); null if H is not SPD.
     */
    static double[] upperCholeskyOfInverse(double[] H, int n) {
        double[] L = cholesky(H, n);
        if (L == null) return null;
        // Linv: inverse of the lower factor, by forward substitution column by column
        double[] Li = new double[n * n];
        for (int c = 0; c < n; c++) {
            Li[c * n + c] = 1.0 / L[c * n + c];
            for (int i = c + 1; i < n; i++) {
                double s = 0;
                for (int k = c; k < i; k++) s += L[i * n + k] * Li[k * n + c];
                Li[i * n + c] = -s / L[i * n + i];
            }
        }
        // H⁻¹ = Liᵀ Li
        double[] Hinv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
                Hinv[i * n + j] = s;
                Hinv[j * n + i] = s;
            }
        }
        double[] L2 = cholesky(Hinv, n);
        if (L2 == null) return null;
        double[] U = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) U[j * n + i] = L2[i * n + j];
        return U;
    }

    /** Lower Cholesky factor of a symmetric matrix, or null if it is not positive definite. */
    static double[] cholesky(double[] A, int n) {
        double[] L = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = A[j * n + j];
            for (int k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
            if (!(d > 0)) return null;
            double ljj = Math.sqrt(d);
            L[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = A[i * n + j];
                for (int k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
                L[i * n + j] = s / ljj;
            }
        }
        return L;
    }
}
