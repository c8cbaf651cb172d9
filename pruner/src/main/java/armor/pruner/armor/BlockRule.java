package armor.pruner.armor;

/**
 * How the requested block size {@code b} becomes the block size of one dimension of A or B.
 * <ul>
 *   <li>a dimension no larger than b is one block (A or B is then a full matrix);</li>
 *   <li>otherwise the largest divisor of the dimension that is at most b and a multiple of 4 (so that 2:4 groups
 *       never straddle two column blocks); every Llama/Qwen dimension is a multiple of 128, so b itself;</li>
 *   <li>if the dimension has no such divisor (it is not a multiple of 4), the largest divisor at most b.</li>
 * </ul>
 * For stories260K (dims 64, 32 and 172) and b = 128 this gives 64, 32 and 4: 172 = 4·43 has no divisor between
 * 5 and 128 that is a multiple of 4.
 */
public final class BlockRule {
    private BlockRule() {}

    public static int blockFor(int dim, int requested) {
        if (requested < 1) throw new IllegalArgumentException("block size must be positive, got " + requested);
        if (dim <= requested) return dim;
        for (int d = requested; d >= 4; d--) if (dim % d == 0 && d % 4 == 0) return d;
        for (int d = requested; d >= 1; d--) if (dim % d == 0) return d;
        return 1;
    }
}
