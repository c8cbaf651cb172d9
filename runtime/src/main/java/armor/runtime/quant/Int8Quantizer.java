package armor.runtime.quant;

/**
 * Symmetric round-to-nearest int8 quantization with group scales: for every row and group of {@code groupSize}
 * consecutive columns, {@code scale = max|w| / 127} and {@code q = clamp(round(w / scale), -127, 127)}. The range is
 * symmetric (-128 is never written), so negating a weight negates its code. An all-zero group gets scale 0 and codes
 * 0. This is the compressed-tensors "int-quantized" convention (symmetric, no zero point) with strategy "group", or
 * "channel" when the group is the whole row.
 */
public final class Int8Quantizer {
    /** The default group: 128 input columns (measured in docs/results.md: accuracy of 64–128 vs per-row, speed). */
    public static final int DEFAULT_GROUP = 128;

    private Int8Quantizer() {}

    /** Quantizes a row-major {@code rows × cols} matrix with groups of {@code groupSize} columns (must divide cols). */
    public static Int8Matrix quantize(float[] w, int rows, int cols, int groupSize) {
        if (w.length != (long) rows * cols)
            throw new IllegalArgumentException("quantize: " + w.length + " values, expected " + rows + "×" + cols);
        if (groupSize <= 0 || cols % groupSize != 0)
            throw new IllegalArgumentException("quantize: group size " + groupSize + " does not divide the " + cols + " columns");
        int gpr = cols / groupSize;
        byte[] q = new byte[rows * cols];
        float[] scales = new float[rows * gpr];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < gpr; g++) {
                int from = r * cols + g * groupSize, to = from + groupSize;
                float max = 0f;
                for (int i = from; i < to; i++) max = Math.max(max, Math.abs(w[i]));
                float scale = max / 127f;
                scales[r * gpr + g] = scale;
                if (scale == 0f) continue;
                for (int i = from; i < to; i++) q[i] = code(w[i] / scale);
            }
        }
        return new Int8Matrix(rows, cols, groupSize, q, scales);
    }

    /** Round half to even, as torch.round (and so compressed-tensors) does. */
    private static byte code(float v) {
        int c = (int) Math.rint(v);
        return (byte) Math.max(-127, Math.min(127, c));
    }

    /**
     * The group size for rows of {@code cols} columns: {@code requested} when positive (it must divide cols and, for a
     * group shorter than the row, be a multiple of 8, the columns the kernels read per step), else the default:
     * {@link #DEFAULT_GROUP} when it divides cols, otherwise the whole row (one scale per output channel).
     *
     * @throws IllegalArgumentException naming the requested size and the row length
     */
    public static int groupSize(int cols, int requested) {
        return groupSize(cols, requested, DEFAULT_GROUP, 8);
    }

    /**
     * The group rule of every quantizer: {@code requested} when positive (it must divide cols and, when shorter than
     * the row, be a multiple of {@code multiple}), else {@code defaultGroup} where it divides cols, else the whole row.
     */
    static int groupSize(int cols, int requested, int defaultGroup, int multiple) {
        if (requested <= 0) return cols % defaultGroup == 0 ? defaultGroup : cols;
        if (requested == cols) return cols;
        if (cols % requested != 0)
            throw new IllegalArgumentException("group size " + requested + " does not divide rows of " + cols + " columns");
        if (requested % multiple != 0)
            throw new IllegalArgumentException("group size " + requested + " is not a multiple of " + multiple + " (rows of " + cols + " columns)");
        return requested;
    }
}
