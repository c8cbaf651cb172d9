package armor.pruner.method;

/**
 * The inverse Hessian that the OBS methods ({@link SparseGpt}, {@link Gptq}) update their weights with: the layer-wise
 * Hessian {@code H = XᵀX}, damped by 1 % of its mean diagonal, inverted and factored as {@code H⁻¹ = UᵀU} with U upper
 * triangular. Row j of U carries the error of column j into the later columns. Computed in double: the factorization of
 * an n×n matrix is cheap next to the statistics, and double keeps it stable for ill-conditioned Gram matrices.
 */
public final class DampedHessian {
    static final double DAMP = 0.01;

    private DampedHessian() {}

    /**
     * U of the damped inverse of {@code gram}. A dead input feature (zero diagonal) gets a diagonal of 1 and its column
     * of {@code w} (row-major, {@code rows × n}) zeroed in place: its weights cannot matter, so they cost nothing.
     * When the damped matrix is not positive definite, the damping is added again (up to 10 times, as the reference
     * implementations retry).
     *
     * @param method the method's name for the error message
     * @throws IllegalStateException when no damping makes the matrix positive definite
     */
    static double[] upperInverseFactor(double[] gram, float[] w, int rows, int n, String method) {
        double[] H = gram.clone();
        for (int j = 0; j < n; j++) {
            if (H[j * n + j] == 0) {
                H[j * n + j] = 1;
                for (int r = 0; r < rows; r++) w[r * n + j] = 0;
            }
        }
        double mean = 0;
        for (int j = 0; j < n; j++) mean += H[j * n + j];
        double lambda = DAMP * mean / n;
        double[] U = null;
        for (int attempt = 0; attempt < 10 && U == null; attempt++) {
            for (int j = 0; j < n; j++) H[j * n + j] += lambda;
            U = upperCholeskyOfInverse(H, n);
        }
        if (U == null) throw new IllegalStateException(method + ": the damped Gram matrix is not positive definite");
        return U;
    }

    /**
     * The lazy update of the columns after a block: {@code W[:, c1:] -= Err · U[c0:c1, c1:]}, with {@code err} the
     * block's {@code rows × (c1 − c0)} errors already divided by U's diagonal.
     */
    static void lazyUpdate(float[] W, float[] err, double[] U, int rows, int n, int c0, int c1) {
        int cnt = c1 - c0;
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int i = 0; i < cnt; i++) {
                float e = err[r * cnt + i];
                if (e == 0f) continue;
                int urow = (c0 + i) * n;
                for (int k = c1; k < n; k++) W[o + k] -= (float) (e * U[urow + k]);
            }
        }
    }

    /** The upper triangular U with {@code H⁻¹ = Uᵀ U}; null if H is not SPD. */
    static double[] upperCholeskyOfInverse(double[] H, int n) {
        double[] L = cholesky(H, n);
        if (L == null) return null;
        // Linv: inverse of the lower factor, by forward substitution column by column
        double[] Li = new double[n * n];
        for (int c = 0; c < n; c++) {
            Li[c * n + c] = 1.0 / L[c * n + c];
            for (int i = c + 1; i < n; i++) {
                double s = 0;
                for (int k = c; k < i; k++) s += L[i * n + k] * Li[k * n + c];
                Li[i * n + c] = -s / L[i * n + i];
            }
        }
        // H⁻¹ = Liᵀ Li
        double[] Hinv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
                Hinv[i * n + j] = s;
                Hinv[j * n + i] = s;
            }
        }
        double[] L2 = cholesky(Hinv, n);
        if (L2 == null) return null;
        double[] U = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) U[j * n + i] = L2[i * n + j];
        return U;
    }

    /** Lower Cholesky factor of a symmetric matrix, or null if it is not positive definite. */
    public static double[] cholesky(double[] A, int n) {
        double[] L = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = A[j * n + j];
            for (int k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
            if (!(d > 0)) return null;
            double ljj = Math.sqrt(d);
            L[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = A[i * n + j];
                for (int k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
                L[i * n + j] = s / ljj;
            }
        }
        return L;
    }
}
