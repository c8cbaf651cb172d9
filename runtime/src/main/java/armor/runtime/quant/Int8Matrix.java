package armor.runtime.quant;

/**
 * A matrix of symmetric int8 values with one float32 scale per row and group of {@code groupSize} consecutive
 * columns: {@code value[r, c] = values[r*cols + c] * scales[r*(cols/groupSize) + c/groupSize]}. This is the one
 * int8 representation of the project: dense weights, the kept values of a 2:4 core ({@code cols} = d_in/2, groups of
 * G/2 kept values for G dense columns) and ARMOR's block-diagonal A'/B' (rows = blocks·b, cols = b) all use it, and
 * the checkpoint stores exactly these two arrays (docs/checkpoint-format.md).
 */
public record Int8Matrix(int rows, int cols, int groupSize, byte[] values, float[] scales) {
    public Int8Matrix {
        if (rows < 0 || cols <= 0) throw new IllegalArgumentException("int8 matrix: shape [" + rows + ", " + cols + "]");
        if (groupSize <= 0 || cols % groupSize != 0)
            throw new IllegalArgumentException("int8 matrix: group size " + groupSize + " does not divide the " + cols + " columns");
        if (values.length != (long) rows * cols)
            throw new IllegalArgumentException("int8 matrix: " + values.length + " values, expected " + rows + "×" + cols);
        if (scales.length != (long) rows * (cols / groupSize))
            throw new IllegalArgumentException("int8 matrix: " + scales.length + " scales, expected " + rows + "×" + (cols / groupSize));
    }

    public int groupsPerRow() {
        return cols / groupSize;
    }

    /** The scale of element (r, c). */
    public float scale(int r, int c) {
        return scales[r * groupsPerRow() + c / groupSize];
    }

    /** The dequantized element (r, c): the int8 value times its group's scale, in float32. */
    public float get(int r, int c) {
        return values[r * cols + c] * scale(r, c);
    }

    /** All elements dequantized, row-major. */
    public float[] dequantize() {
        float[] out = new float[rows * cols];
        int gpr = groupsPerRow();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[r * cols + c] = values[r * cols + c] * scales[r * gpr + c / groupSize];
        return out;
    }

    /** Bytes this matrix occupies in a checkpoint and reads per token: one per value, four per scale. */
    public long bytes() {
        return (long) values.length + 4L * scales.length;
    }
}
