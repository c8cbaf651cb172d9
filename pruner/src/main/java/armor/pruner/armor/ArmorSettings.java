package armor.pruner.armor;

/**
 * Hyperparameters of one ARMOR run (defaults: the paper's replicate scripts).
 *
 * @param block      requested block size b of A and B (see {@link BlockRule})
 * @param iterations iteration budget (one Adam step plus one discrete step each)
 * @param lr         Adam learning rate (constant, betas 0.9/0.999, eps 1e-8, no weight decay)
 * @param seed       seed of the group sampling
 * @param patience   early stopping: iterations without improvement tolerated
 * @param rtol       early stopping: relative improvement that counts
 * @param atol       early stopping: absolute improvement that counts
 * @param threads    threads for one matrix (1 when matrices are spread over cores instead)
 */
public record ArmorSettings(int block, int iterations, double lr, long seed, int patience, double rtol, double atol,
                            int threads) {
    public static final int DEFAULT_BLOCK = 128;
    public static final int DEFAULT_ITERATIONS = 20_000;

    public static ArmorSettings defaults() {
        return new ArmorSettings(DEFAULT_BLOCK, DEFAULT_ITERATIONS, 1e-4, 0, 100, 1e-6, 1e-8, 1);
    }

    public ArmorSettings withBlock(int b) {
        return new ArmorSettings(b, iterations, lr, seed, patience, rtol, atol, threads);
    }

    public ArmorSettings withIterations(int it) {
        return new ArmorSettings(block, it, lr, seed, patience, rtol, atol, threads);
    }

    public ArmorSettings withSeed(long s) {
        return new ArmorSettings(block, iterations, lr, s, patience, rtol, atol, threads);
    }

    public ArmorSettings withThreads(int t) {
        return new ArmorSettings(block, iterations, lr, seed, patience, rtol, atol, t);
    }
}
