package armor.pruner.nowag;

/**
 * NoWag's layer-wise proxy loss, in the normalized space, weighted by the raw activation statistic h:
 * {@code L(Ŵ) = κ Σ_ij (Ŵ̄_ij − W̄_ij)² h_j} with {@code κ = 1 / Σ_ij W̄_ij² h_j}, so that pruning everything
 * (Ŵ = 0) scores 1.0. Every method's result is scored with the same loss, so the summary table compares them.
 */
public final class ProxyLoss {
    private final NoWagNormalization norm;
    private final float[] h;
    private final double kappa;

    public ProxyLoss(NoWagNormalization norm, float[] h) {
        if (h.length != norm.cols()) {
            throw new IllegalArgumentException("activation statistic has " + h.length + " entries, expected d_in = "
                    + norm.cols());
        }
        this.norm = norm;
        this.h = h;
        double s = 0;
        float[] wb = norm.normalized();
        int n = norm.cols();
        for (int i = 0; i < norm.rows(); i++) {
            for (int j = 0; j < n; j++) s += (double) wb[i * n + j] * wb[i * n + j] * h[j];
        }
        this.kappa = s > 0 ? 1.0 / s : 1.0;
    }

    public double kappa() {
        return kappa;
    }

    public float[] h() {
        return h;
    }

    public NoWagNormalization normalization() {
        return norm;
    }

    /** Relative proxy loss of a pruned weight given in the original (not normalized) space. */
    public double ofWeight(float[] wHat) {
        int m = norm.rows(), n = norm.cols();
        float[] wb = norm.normalized(), rIn = norm.rIn(), rOut = norm.rOut();
        double s = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double e = (double) wHat[i * n + j] / rIn[j] / rOut[i] - wb[i * n + j];
                s += e * e * h[j];
            }
        }
        return kappa * s;
    }

    /**
     * Replaces entries of h that are not finite or not positive by the mean of the valid ones (a dead input feature
     * would otherwise make the loss blind to its column). Returns a new array.
     */
    public static float[] sanitize(float[] h) {
        double sum = 0;
        int valid = 0;
        for (float v : h) {
            if (Float.isFinite(v) && v > 0) {
                sum += v;
                valid++;
            }
        }
        float mean = valid > 0 ? (float) (sum / valid) : 1f;
        float[] out = h.clone();
        for (int j = 0; j < out.length; j++) if (!(Float.isFinite(out[j]) && out[j] > 0)) out[j] = mean;
        return out;
    }
}
