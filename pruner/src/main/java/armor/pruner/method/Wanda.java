package armor.pruner.method;

import armor.pruner.sparsity.Mask24;

/**
 * Wanda: score {@code |W_ij| · ‖X_j‖₂}; in every group of four keep the two largest. Kept weights are unchanged.
 * Only the ranking matters, so the per-feature sum of squares of the inputs is enough.
 */
public final class Wanda {
    private Wanda() {}

    /** @param sumSq per input feature j, Σ_t x_{t,j}² over the calibration tokens */
    public static PrunedWeight prune(float[] w, int rows, int cols, float[] sumSq) {
        if (sumSq.length != cols) {
            throw new IllegalArgumentException("Wanda statistic has " + sumSq.length + " entries, expected " + cols);
        }
        float[] norm = new float[cols];
        for (int j = 0; j < cols; j++) norm[j] = (float) Math.sqrt(Math.max(0f, sumSq[j]));
        float[] score = new float[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) score[i * cols + j] = Math.abs(w[i * cols + j]) * norm[j];
        }
        Mask24 mask = Mask24.keepLargest(score, rows, cols);
        float[] out = w.clone();
        mask.apply(out);
        return new PrunedWeight(rows, cols, out, mask);
    }
}
