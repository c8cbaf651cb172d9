package armor.pruner.method;

import armor.runtime.linear.Sparse24Core;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;

/**
 * GPTQ to 4 bits with group scales (Frantar et al. 2022), without activation reordering: columns are rounded onto
 * their group's grid one at a time, in order, and each column's rounding error is spread over the columns not yet
 * rounded through the damped inverse Hessian ({@link DampedHessian}), with lazy updates in column blocks. A group's grid
 * ({@link Int4Quantizer.Grid}, compressed-tensors' min-max rules) is chosen from the already-updated weights when its
 * first column comes up; a block always holds whole groups, so those weights have every update of the columns before.
 *
 * <p>For a 2:4 core the mask stays fixed, as in SparseGPT's joint pruning and quantization: a kept weight is rounded
 * onto the grid, a pruned one to zero, and both errors are compensated in the later columns; the codes come out in the
 * core's kept-value order, groups of G/2 kept values for G dense columns, as {@code 2:4-int4} stores them.
 */
public final class Gptq {
    /** Columns per lazy update, rounded to whole groups (the reference implementations use 128). */
    static final int LAZY_BLOCK = 128;

    private Gptq() {}

    /**
     * Quantizes a dense weight.
     *
     * @param w     row-major {@code rows × cols} (not modified)
     * @param gram  {@code XᵀX} over the calibration tokens, {@code cols × cols} row-major (any positive scale)
     * @param group dense columns per scale; must divide cols
     */
    public static Int4Matrix quantize(float[] w, int rows, int cols, double[] gram, int group, boolean symmetric) {
        return run(w, rows, cols, null, gram, group, symmetric);
    }

    /**
     * Quantizes the kept values of a 2:4 core with its mask fixed.
     *
     * @param group dense columns per scale: a multiple of 4 dividing the core's columns
     * @return {@code rows × cols/2} codes in the core's value order, groups of {@code group/2}
     */
    public static Int4Matrix quantize(Sparse24Core core, double[] gram, int group, boolean symmetric) {
        if (group % 4 != 0) throw new IllegalArgumentException("GPTQ of a 2:4 core: group size " + group + " is not a multiple of 4");
        return run(core.toDense(), core.rows(), core.cols(), core, gram, group, symmetric);
    }

    private static Int4Matrix run(float[] w, int rows, int n, Sparse24Core core, double[] gram, int group, boolean symmetric) {
        if (w.length != (long) rows * n)
            throw new IllegalArgumentException("GPTQ: " + w.length + " weights, expected " + rows + "×" + n);
        if (gram.length != (long) n * n)
            throw new IllegalArgumentException("GPTQ: Gram matrix has " + gram.length + " entries, expected " + n + "×" + n);
        if (group <= 0 || n % group != 0)
            throw new IllegalArgumentException("GPTQ: group size " + group + " does not divide the " + n + " columns");
        float[] W = w.clone();
        double[] U = DampedHessian.upperInverseFactor(gram, W, rows, n, "GPTQ");
        // slot[r·n + c]: where dense (r, c) lands among the codes of row r; -1 for a pruned position
        int qcols = core == null ? n : n / 2, qgroup = core == null ? group : group / 2, gpr = n / group;
        int[] slot = slots(core, rows, n);
        byte[] codes = new byte[rows * qcols];
        float[] scales = new float[rows * gpr];
        byte[] zeros = symmetric ? null : new byte[rows * gpr];
        Int4Quantizer.Grid[] grid = new Int4Quantizer.Grid[rows];
        int block = group >= LAZY_BLOCK ? group : LAZY_BLOCK / group * group;
        for (int c0 = 0; c0 < n; c0 += block) {
            int c1 = Math.min(c0 + block, n), cnt = c1 - c0;
            float[] w1 = new float[rows * cnt];
            float[] err = new float[rows * cnt];
            for (int r = 0; r < rows; r++) System.arraycopy(W, r * n + c0, w1, r * cnt, cnt);
            for (int i = 0; i < cnt; i++) {
                int c = c0 + i;
                if (c % group == 0) {
                    for (int r = 0; r < rows; r++) {
                        float min = 0f, max = 0f;
                        for (int k = i; k < i + group; k++) {
                            if (slot[r * n + c0 + k] < 0) continue;
                            min = Math.min(min, w1[r * cnt + k]);
                            max = Math.max(max, w1[r * cnt + k]);
                        }
                        grid[r] = Int4Quantizer.Grid.of(min, max, symmetric);
                        scales[r * gpr + c / group] = grid[r].scale();
                        if (zeros != null) zeros[r * gpr + c / group] = (byte) grid[r].zero();
                    }
                }
                double d = U[c * n + c];
                int urow = c * n + c0;
                for (int r = 0; r < rows; r++) {
                    int o = r * cnt, s = slot[r * n + c];
                    float wv = w1[o + i];
                    float q = 0f;
                    if (s >= 0) {
                        int code = grid[r].code(wv);
                        codes[r * qcols + s] = (byte) code;
                        q = grid[r].value(code);
                    }
                    float e = (float) ((wv - q) / d);
                    if (e != 0f) {
                        for (int k = i + 1; k < cnt; k++) w1[o + k] -= (float) (e * U[urow + k]);
                    }
                    err[o + i] = e;
                }
            }
            DampedHessian.lazyUpdate(W, err, U, rows, n, c0, c1);
        }
        return new Int4Matrix(rows, qcols, qgroup, codes, scales, zeros);
    }

    /** Code index of each dense position: the column itself when dense, the kept slot (or -1) of a 2:4 core. */
    private static int[] slots(Sparse24Core core, int rows, int n) {
        int[] slot = new int[rows * n];
        if (core == null) {
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) slot[r * n + c] = c;
            return slot;
        }
        java.util.Arrays.fill(slot, -1);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < n / 4; g++) {
                int nib = core.nibble(r, g);
                slot[r * n + 4 * g + (nib & 3)] = 2 * g;
                slot[r * n + 4 * g + (nib >>> 2)] = 2 * g + 1;
            }
        }
        return slot;
    }
}
