package armor.runtime.linear;

import java.util.Arrays;

/**
 * A 2:4 core in the checkpoint's logical layout, in float32: every group of four consecutive input columns of a row
 * keeps exactly two values. This is what the pruner produces per linear and what the checkpoint stores (values
 * converted to the model dtype); the kernels use {@link Sparse24Matrix}, repacked from it.
 *
 * <ul>
 *   <li>{@code values}: {@code rows × cols/2}, row-major; for row r and group g the two kept values at
 *       {@code r*cols/2 + 2g} (lower position first) and {@code + 1}.</li>
 *   <li>{@code meta}: {@code rows × metaCols(cols)} bytes, row-major; group g of a row is the nibble
 *       {@code g/2} of the row's bytes, low nibble for even g, high nibble for odd g; a nibble is
 *       {@code p0 | p1 << 2} with {@code 0 <= p0 < p1 <= 3} the two kept positions. A row with an odd number of
 *       groups has a zero pad nibble.</li>
 * </ul>
 */
public record Sparse24Core(int rows, int cols, float[] values, byte[] meta) {

    public Sparse24Core {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: cols " + cols + " is not a multiple of 4");
        if (values.length != (long) rows * cols / 2)
            throw new IllegalArgumentException("2:4 core: values has " + values.length + " entries, expected " + (long) rows * cols / 2);
        if (meta.length != (long) rows * metaCols(cols))
            throw new IllegalArgumentException("2:4 core: meta has " + meta.length + " bytes, expected " + (long) rows * metaCols(cols));
    }

    /** Bytes of metadata per row: one nibble per group of four columns, rounded up to whole bytes. */
    public static int metaCols(int cols) {
        return (cols / 4 + 1) / 2;
    }

    /** True when {@code nibble} names two distinct kept positions in ascending order. */
    public static boolean validNibble(int nibble) {
        int p0 = nibble & 3, p1 = (nibble >>> 2) & 3;
        return p0 < p1;
    }

    /** The nibble (p0 | p1 << 2) of group g of row r. */
    public int nibble(int r, int g) {
        int b = meta[r * metaCols(cols) + (g >>> 1)] & 0xff;
        return (g & 1) == 0 ? b & 15 : b >>> 4;
    }

    /**
     * The 2:4 selection rule, the one every magnitude-like score goes through (this magnitude pruning, and the
     * pruner's {@code Mask24.keepLargest} for magnitude, Wanda, NoWag-P and SparseGPT scores): the two largest of
     * {@code score[offset .. offset+3]}, ties to the lower position, as a stable descending sort would pick.
     *
     * @return the group's nibble {@code p0 | p1 << 2} with {@code p0 < p1} (this class's metadata encoding)
     */
    public static int keepLargestTwo(float[] score, int offset) {
        int best = 0;
        for (int k = 1; k < 4; k++) if (score[offset + k] > score[offset + best]) best = k;
        int second = -1;
        for (int k = 0; k < 4; k++) {
            if (k == best) continue;
            if (second < 0 || score[offset + k] > score[offset + second]) second = k;
        }
        return Math.min(best, second) | Math.max(best, second) << 2;
    }

    /** Keeps, in every group of four of every row, the two entries of largest magnitude (ties: the lower column). */
    public static Sparse24Core byMagnitude(float[] dense, int rows, int cols) {
        if (dense.length != (long) rows * cols)
            throw new IllegalArgumentException("2:4 core: dense length " + dense.length + " does not match " + rows + "×" + cols);
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: cols " + cols + " is not a multiple of 4");
        int mc = metaCols(cols);
        float[] values = new float[rows * cols / 2];
        byte[] meta = new byte[rows * mc];
        float[] magnitude = new float[4];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int base = r * cols + 4 * g;
                for (int k = 0; k < 4; k++) magnitude[k] = Math.abs(dense[base + k]);
                int nibble = keepLargestTwo(magnitude, 0);
                values[r * cols / 2 + 2 * g] = dense[base + (nibble & 3)];
                values[r * cols / 2 + 2 * g + 1] = dense[base + (nibble >>> 2)];
                meta[r * mc + (g >>> 1)] |= (byte) (nibble << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, values, meta);
    }

    /** Packs the entries of {@code dense} under {@code mask}; the mask must keep exactly two of every group of four. */
    public static Sparse24Core fromMask(float[] dense, boolean[] mask, int rows, int cols) {
        if (dense.length != (long) rows * cols || mask.length != dense.length)
            throw new IllegalArgumentException("2:4 core: dense/mask length " + dense.length + "/" + mask.length + " does not match " + rows + "×" + cols);
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: cols " + cols + " is not a multiple of 4");
        int mc = metaCols(cols);
        float[] values = new float[rows * cols / 2];
        byte[] meta = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int base = r * cols + 4 * g;
                int kept = 0, nibble = 0;
                for (int k = 0; k < 4; k++) {
                    if (!mask[base + k]) continue;
                    if (kept == 2) throw new IllegalArgumentException("2:4 core: row " + r + " group " + g + " keeps more than two positions");
                    values[r * cols / 2 + 2 * g + kept] = dense[base + k];
                    nibble |= k << (2 * kept);
                    kept++;
                }
                if (kept != 2) throw new IllegalArgumentException("2:4 core: row " + r + " group " + g + " keeps " + kept + " positions, expected 2");
                meta[r * mc + (g >>> 1)] |= (byte) (nibble << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, values, meta);
    }

    /** The dense {@code rows × cols} matrix with zeros at the pruned positions. */
    public float[] toDense() {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int nib = nibble(r, g);
                w[r * cols + 4 * g + (nib & 3)] = values[r * cols / 2 + 2 * g];
                w[r * cols + 4 * g + (nib >>> 2)] = values[r * cols / 2 + 2 * g + 1];
            }
        }
        return w;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sparse24Core c && rows == c.rows && cols == c.cols && Arrays.equals(values, c.values) && Arrays.equals(meta, c.meta);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + Arrays.hashCode(meta);
    }
}
