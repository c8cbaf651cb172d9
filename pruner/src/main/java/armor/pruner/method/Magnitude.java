package armor.pruner.method;

import armor.pruner.sparsity.Mask24;

/** Magnitude pruning: in every group of four, keep the two largest |W|. No data, no update. */
public final class Magnitude {
    private Magnitude() {}

    public static PrunedWeight prune(float[] w, int rows, int cols) {
        float[] score = new float[w.length];
        for (int i = 0; i < w.length; i++) score[i] = Math.abs(w[i]);
        Mask24 mask = Mask24.keepLargest(score, rows, cols);
        float[] out = w.clone();
        mask.apply(out);
        return new PrunedWeight(rows, cols, out, mask);
    }
}
