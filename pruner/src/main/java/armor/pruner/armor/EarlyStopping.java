package armor.pruner.armor;

/**
 * The reference's stopping rule: an iteration that fails to lower the loss by more than {@code rtol} relative
 * or {@code atol} absolute costs one unit of patience; an improving one restores it. The final state is kept
 * (the best one is not restored).
 */
final class EarlyStopping {
    private final int patience;
    private final double rtol;
    private final double atol;
    private int left;
    private double previous;

    EarlyStopping(int patience, double rtol, double atol, double initialLoss) {
        this.patience = patience;
        this.rtol = rtol;
        this.atol = atol;
        this.left = patience;
        this.previous = initialLoss;
    }

    /** Records the loss after one iteration; true when the run should stop. */
    boolean update(double loss) {
        if (loss > (1 - rtol) * previous || loss > previous - atol) {
            left--;
        } else {
            left = patience;
        }
        previous = loss;
        return left <= 0;
    }
}
