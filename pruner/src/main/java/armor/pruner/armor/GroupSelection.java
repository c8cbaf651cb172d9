package armor.pruner.armor;

/**
 * Chooses the one 4-group of a block that the discrete step re-selects. Groups are numbered row-major inside the
 * block: local row {@code g / (bIn/4)}, local first column {@code 4·(g mod (bIn/4))}.
 */
@FunctionalInterface
public interface GroupSelection {

    /**
     * @param iteration the Adam step count (1-based) of the pass
     * @param scores    per group, the L1 norm of ∂L/∂C over its four entries
     * @param count     number of groups in the block
     */
    int select(int iteration, int blockRow, int blockCol, float[] scores, int count);

    /**
     * The reference's "gradient_all_random": one group drawn with probability proportional to its score. The draw
     * depends only on (seed, iteration, block), so results do not depend on how blocks are spread over threads.
     */
    static GroupSelection sampled(long seed) {
        return (iteration, blockRow, blockCol, scores, count) -> {
            long z = seed * 0x9E3779B97F4A7C15L + iteration * 0xBF58476D1CE4E5B9L
                    + ((long) blockRow * 1_000_003L + blockCol) * 0x94D049BB133111EBL;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            double u = (z >>> 11) * 0x1.0p-53;
            double total = 0;
            for (int g = 0; g < count; g++) total += scores[g];
            if (!(total > 0)) return Math.min(count - 1, (int) (u * count));
            double target = u * total, cum = 0;
            for (int g = 0; g < count; g++) {
                cum += scores[g];
                if (cum > target) return g;
            }
            for (int g = count - 1; g >= 0; g--) if (scores[g] > 0) return g;
            return count - 1;
        };
    }

    /** The "greedy" variant: the group with the largest score. */
    static GroupSelection greedy() {
        return (iteration, blockRow, blockCol, scores, count) -> {
            int best = 0;
            for (int g = 1; g < count; g++) if (scores[g] > scores[best]) best = g;
            return best;
        };
    }
}
