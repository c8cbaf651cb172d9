package armor.runtime.quant;

/**
 * A matrix of 4-bit integer codes with one float32 scale per row and group of {@code groupSize} consecutive columns,
 * and optionally one 4-bit zero point per row and group:
 * {@code value[r, c] = (codes[r*cols + c] - zero(r, c)) * scales[r*(cols/groupSize) + c/groupSize]}, codes and zero
 * points in [-8, 7] (compressed-tensors' signed 4-bit range; its "pack-quantized" format stores them plus 8). Zero points
 * are null for symmetric weights. One zero point outside that range is read: 8, from a GPTQ v1 checkpoint whose stored
 * {@code zero - 1} is 15 (zero 16, AutoGPTQ's overflow of zero 0; {@link GptqTensors}); the dense int4 kernels take it
 * exactly (their offset is {@code scale × (zero point + 8)} in float32), and it has no pack-quantized form. The one 4-bit representation of the project: dense weights, and the kept values of a
 * 2:4 core ({@code cols} = d_in/2, groups of G/2 kept values for G dense columns), as {@link Int8Matrix} is for 8 bits.
 * Codes are kept one per byte here; the layers repack them two or eight to the word.
 */
public record Int4Matrix(int rows, int cols, int groupSize, byte[] codes, float[] scales, byte[] zeroPoints) {
    public static final int MIN = -8, MAX = 7;

    public Int4Matrix {
        if (rows < 0 || cols <= 0) throw new IllegalArgumentException("int4 matrix: shape [" + rows + ", " + cols + "]");
        if (groupSize <= 0 || cols % groupSize != 0)
            throw new IllegalArgumentException("int4 matrix: group size " + groupSize + " does not divide the " + cols + " columns");
        if (codes.length != (long) rows * cols)
            throw new IllegalArgumentException("int4 matrix: " + codes.length + " codes, expected " + rows + "×" + cols);
        long groups = (long) rows * (cols / groupSize);
        if (scales.length != groups)
            throw new IllegalArgumentException("int4 matrix: " + scales.length + " scales, expected " + rows + "×" + (cols / groupSize));
        if (zeroPoints != null && zeroPoints.length != groups)
            throw new IllegalArgumentException("int4 matrix: " + zeroPoints.length + " zero points, expected " + rows + "×" + (cols / groupSize));
    }

    public int groupsPerRow() {
        return cols / groupSize;
    }

    public boolean symmetric() {
        return zeroPoints == null;
    }

    /** The zero point of group g of row r (0 when symmetric). */
    public int zero(int r, int g) {
        return zeroPoints == null ? 0 : zeroPoints[r * groupsPerRow() + g];
    }

    /** The dequantized element (r, c): (code − zero point) × scale, in float32. */
    public float get(int r, int c) {
        int g = c / groupSize;
        return (codes[r * cols + c] - zero(r, g)) * scales[r * groupsPerRow() + g];
    }

    /** All elements dequantized, row-major. */
    public float[] dequantize() {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[r * cols + c] = get(r, c);
        return out;
    }
}
