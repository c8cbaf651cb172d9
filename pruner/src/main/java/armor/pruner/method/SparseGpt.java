package armor.pruner.method;

import armor.pruner.sparsity.Mask24;

/**
 * SparseGPT for 2:4 (Frantar and Alistarh): OBS pruning column by column with the upper Cholesky factor of the
 * damped inverse Gram matrix, lazy updates in column blocks of 128, and the 2:4 choice made per group on the OBS
 * score {@code w² / U_jj²} of the already-updated weights when the group's first column comes up. The damped inverse
 * Hessian is {@link DampedHessian}'s, shared with {@link Gptq}.
 */
public final class SparseGpt {
    static final int LAZY_BLOCK = 128;

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
        double[] U = DampedHessian.upperInverseFactor(gram, W, rows, n, "SparseGPT");
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
            DampedHessian.lazyUpdate(W, err, U, rows, n, c0, c1);
        }
        mask.apply(W);
        return new PrunedWeight(rows, cols, W, mask);
    }
}
