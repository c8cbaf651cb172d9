package armor.pruner.recover;

/**
 * RMSNorm with its gradient: {@code y = w ⊙ x·r}, {@code r = 1/sqrt(mean(x²) + eps)} per row. Backward:
 * {@code dw += Σ_rows dy ⊙ x·r}, {@code dx = r·(w ⊙ dy) − x · r³/n · Σ(w ⊙ dy ⊙ x)}. Rows are independent; the
 * weight gradient is summed row by row in order (deterministic).
 */
final class RmsNorm {
    private RmsNorm() {}

    /** Writes {@code out} and each row's {@code r} into {@code inv}; {@code in} and {@code out} must not alias. */
    static void forward(float[] in, float[] out, float[] w, float[] inv, int rows, int size, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * size;
            float ss = 0;
            for (int i = 0; i < size; i++) ss += in[o + i] * in[o + i];
            float s = (float) (1.0 / Math.sqrt(ss / size + eps));
            inv[r] = s;
            for (int i = 0; i < size; i++) out[o + i] = w[i] * (in[o + i] * s);
        }
    }

    /** Adds the input gradient to {@code dIn} and the weight gradient to {@code dw}. */
    static void backward(float[] dOut, float[] in, float[] w, float[] inv, float[] dIn, float[] dw, int rows, int size) {
        for (int r = 0; r < rows; r++) {
            int o = r * size;
            float s = inv[r];
            float dot = 0;
            for (int i = 0; i < size; i++) {
                float g = dOut[o + i];
                dw[i] += g * in[o + i] * s;
                dot += w[i] * g * in[o + i];
            }
            float c = dot * s * s * s / size;
            for (int i = 0; i < size; i++) dIn[o + i] += s * w[i] * dOut[o + i] - c * in[o + i];
        }
    }
}
