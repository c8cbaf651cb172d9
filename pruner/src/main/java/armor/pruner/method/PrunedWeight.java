package armor.pruner.method;

import armor.pruner.sparsity.Mask24;

/**
 * A 2:4-pruned weight in the original space: {@code weight} is row-major {@code rows × cols} with every pruned
 * entry zero, {@code mask} says which entries are kept.
 */
public record PrunedWeight(int rows, int cols, float[] weight, Mask24 mask) {}
