package armor.pruner.run;

import armor.pruner.sparsity.Mask24;

/**
 * The pruned form of one projection.
 *
 * @param prefix     tensor prefix, e.g. {@code model.layers.3.mlp.down_proj}
 * @param values     {@code rows × cols}, zero off the mask: the pruned weight (2:4 methods) or ARMOR's core C
 * @param a          ARMOR's A' with the row scaling folded in, {@code (rows/blockOut, blockOut, blockOut)}; null
 *                   for plain 2:4
 * @param b          ARMOR's B' with the column scaling folded in, {@code (cols/blockIn, blockIn, blockIn)}; or null
 * @param lossBefore proxy loss of NoWag-P on the same statistic (ARMOR's starting point); NaN without data
 * @param lossAfter  proxy loss of the result; NaN without data
 * @param iterations ARMOR iterations run (0 for the other methods)
 */
public record LinearResult(String prefix, int rows, int cols, float[] values, Mask24 mask, float[] a, int blockOut,
                           float[] b, int blockIn, double lossBefore, double lossAfter, int iterations,
                           double seconds) {
    public boolean isArmor() {
        return a != null;
    }

    /** The dense weight this result stands for: {@code A'·C·B'} for ARMOR, the pruned weight otherwise. */
    public float[] reconstruct() {
        if (!isArmor()) return values;
        return armor.pruner.armor.ArmorOptimizer.reconstruct(a, values, b, rows, cols, blockOut, blockIn);
    }
}
