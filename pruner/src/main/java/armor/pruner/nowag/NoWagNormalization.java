package armor.pruner.nowag;

/**
 * NoWag's row and column normalization (columns first, then rows): {@code W = diag(rOut) · W̄ · diag(rIn)}.
 * The scalings are fixed, never learned; ARMOR optimizes in the normalized space and folds them back at the end.
 *
 * @param rows       d_out
 * @param cols       d_in
 * @param rIn        per input column: the L2 norm of that column of W, plus 1e-5
 * @param rOut       per output row: the L2 norm of that row after the column step, plus 1e-5
 * @param normalized W̄, row-major {@code rows × cols}
 */
public record NoWagNormalization(int rows, int cols, float[] rIn, float[] rOut, float[] normalized) {
    static final double EPS = 1e-5;

    public static NoWagNormalization of(float[] w, int rows, int cols) {
        if (w.length != rows * cols) {
            throw new IllegalArgumentException("weight has " + w.length + " values, expected " + rows + "×" + cols);
        }
        double[] colSq = new double[cols];
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) colSq[j] += (double) w[o + j] * w[o + j];
        }
        float[] rIn = new float[cols];
        for (int j = 0; j < cols; j++) rIn[j] = (float) (Math.sqrt(colSq[j]) + EPS);
        float[] wbar = new float[rows * cols];
        float[] rOut = new float[rows];
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            double s = 0;
            for (int j = 0; j < cols; j++) {
                float v = w[o + j] / rIn[j];
                wbar[o + j] = v;
                s += (double) v * v;
            }
            rOut[i] = (float) (Math.sqrt(s) + EPS);
            float inv = rOut[i];
            for (int j = 0; j < cols; j++) wbar[o + j] /= inv;
        }
        return new NoWagNormalization(rows, cols, rIn, rOut, wbar);
    }

    /** Maps a normalized matrix back to the original space: {@code diag(rOut) · X · diag(rIn)}. */
    public float[] denormalize(float[] x) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) out[o + j] = x[o + j] * rOut[i] * rIn[j];
        }
        return out;
    }

    /** Maps an original-space matrix into the normalized space: {@code diag(rOut)⁻¹ · W · diag(rIn)⁻¹}. */
    public float[] normalize(float[] w) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) out[o + j] = w[o + j] / rIn[j] / rOut[i];
        }
        return out;
    }
}
