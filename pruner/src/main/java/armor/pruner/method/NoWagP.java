package armor.pruner.method;

import armor.pruner.nowag.NoWagNormalization;
import armor.pruner.sparsity.Mask24;

/**
 * NoWag-P: normalize W (columns, then rows), score {@code W̄_ij² · h_j}, keep the two largest of every group of
 * four, and output {@code W ⊙ M}: the normalization only changes which weights are kept, never their values.
 * This is also ARMOR's starting point.
 */
public final class NoWagP {
    private NoWagP() {}

    public static Mask24 mask(NoWagNormalization norm, float[] h) {
        int rows = norm.rows(), cols = norm.cols();
        float[] wb = norm.normalized();
        float[] score = new float[wb.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = wb[i * cols + j];
                score[i * cols + j] = v * v * h[j];
            }
        }
        return Mask24.keepLargest(score, rows, cols);
    }

    /** @param h the sanitized activation statistic (per-feature sum or mean of x²) */
    public static PrunedWeight prune(float[] w, int rows, int cols, float[] h) {
        Mask24 mask = mask(NoWagNormalization.of(w, rows, cols), h);
        float[] out = w.clone();
        mask.apply(out);
        return new PrunedWeight(rows, cols, out, mask);
    }
}
