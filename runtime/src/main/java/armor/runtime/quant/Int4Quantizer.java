package armor.runtime.quant;

/**
 * Round-to-nearest 4-bit quantization with group scales, as compressed-tensors computes it (its {@code minmax}
 * observer, {@code calculate_qparams} and {@code quantize}), so that armor's files match what llm-compressor writes:
 * <ul>
 *   <li>symmetric: {@code scale = max|w| / 7.5} (the signed range [-8, 7] spans 15 steps, half of it each side),
 *       {@code q = round(clamp(w / scale, -8, 7))};</li>
 *   <li>with zero points: the range is widened to include 0, {@code scale = (max - min) / 15},
 *       {@code zp = round(clamp(-8 - min / scale, -8, 7))}, {@code q = round(clamp(w / scale + zp, -8, 7))}.</li>
 * </ul>
 * Rounding is half to even (torch.round). A scale is at least float32's epsilon, as compressed-tensors clamps it, so
 * an all-zero group has codes equal to its zero point and dequantizes to exact zeros.
 */
public final class Int4Quantizer {
    /** The default group: 128 input columns, the usual W4A16 setting (llm-compressor's W4A16 preset, GPTQ's 128g). */
    public static final int DEFAULT_GROUP = 128;
    private static final float EPS = Math.ulp(1f);

    private Int4Quantizer() {}

    /** Quantizes a row-major {@code rows × cols} matrix with groups of {@code groupSize} columns (must divide cols). */
    public static Int4Matrix quantize(float[] w, int rows, int cols, int groupSize, boolean symmetric) {
        if (w.length != (long) rows * cols)
            throw new IllegalArgumentException("quantize: " + w.length + " values, expected " + rows + "×" + cols);
        if (groupSize <= 0 || cols % groupSize != 0)
            throw new IllegalArgumentException("quantize: group size " + groupSize + " does not divide the " + cols + " columns");
        int gpr = cols / groupSize;
        byte[] q = new byte[rows * cols];
        float[] scales = new float[rows * gpr];
        byte[] zeros = symmetric ? null : new byte[rows * gpr];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < gpr; g++) {
                int from = r * cols + g * groupSize, to = from + groupSize;
                float min = 0f, max = 0f;
                for (int i = from; i < to; i++) {
                    min = Math.min(min, w[i]);
                    max = Math.max(max, w[i]);
                }
                Grid grid = Grid.of(min, max, symmetric);
                scales[r * gpr + g] = grid.scale();
                if (zeros != null) zeros[r * gpr + g] = (byte) grid.zero();
                for (int i = from; i < to; i++) q[i] = (byte) grid.code(w[i]);
            }
        }
        return new Int4Matrix(rows, cols, groupSize, q, scales, zeros);
    }

    /**
     * The 4-bit grid of one group: its scale and zero point (0 when symmetric), from the group's extremes by the rules
     * above. Shared by round to nearest and by GPTQ (armor.pruner.method.Gptq), which picks a group's grid when it
     * reaches the group's first column and then rounds each weight onto it.
     */
    public record Grid(float scale, int zero) {
        /** The grid of a group whose values lie in [min, max] (0 is always made representable). */
        public static Grid of(float min, float max, boolean symmetric) {
            min = Math.min(min, 0f);
            max = Math.max(max, 0f);
            if (symmetric) return new Grid(Math.max(Math.max(-min, max) / 7.5f, EPS), 0);
            float scale = Math.max((max - min) / 15f, EPS);
            return new Grid(scale, (int) Math.rint(clamp(Int4Matrix.MIN - min / scale)));
        }

        /** The nearest code of {@code w}, in [-8, 7]. */
        public int code(float w) {
            return (int) Math.rint(clamp(w / scale + zero));
        }

        /** The value code {@code code} stands for: (code − zero) × scale, as the kernels dequantize it. */
        public float value(int code) {
            return (code - zero) * scale;
        }
    }

    private static float clamp(float v) {
        return Math.max(Int4Matrix.MIN, Math.min(Int4Matrix.MAX, v));
    }

    /**
     * The group size for rows of {@code cols} columns: {@code requested} when positive (it must divide cols and, for a
     * group shorter than the row, be a multiple of 16: the 2:4 kernels read 16 dense columns per word), else
     * {@link #DEFAULT_GROUP} when it divides cols, otherwise the whole row (one scale per output channel).
     *
     * @throws IllegalArgumentException naming the requested size and the row length
     */
    public static int groupSize(int cols, int requested) {
        return Int8Quantizer.groupSize(cols, requested, DEFAULT_GROUP, 16);
    }
}
