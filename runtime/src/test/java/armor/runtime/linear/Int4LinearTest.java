package armor.runtime.linear;

import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The 4-bit layers ({@link DenseInt4Linear}, {@link Sparse24Linear} and {@link ArmorLinear} around a
 * {@link Sparse24Int4Matrix}) against a double-precision product with the
 * weights written out from the codes' definition ({@code (code - zero point) × scale}, kept values at their positions),
 * on sizes that are not multiples of the vector, the row block, the word or the group; one token (decode), a few
 * (decoded one by one), a batch (dequantized row blocks) and a prefill tile and more (the 2:4 prefill kernel).
 */
class Int4LinearTest {
    /** rows, columns, dense columns per group (the whole row where it equals the columns). */
    /** The last two span several prefill panels of DenseGemm (64 rows × 256 columns), with ragged rows and columns. */
    private static final int[][] DENSE_SHAPES = {{37, 204, 204}, {19, 96, 32}, {45, 256, 64}, {8, 128, 128}, {3, 44, 44}, {33, 384, 128},
            {137, 604, 604}, {70, 520, 8}};
    private static final int[][] SPARSE_SHAPES = {{37, 204, 204}, {21, 96, 32}, {45, 256, 64}, {13, 100, 100}, {17, 384, 128}};
    /** One token, a few, batches, and whole prefill tiles plus a ragged rest (short, and long enough to dequantize). */
    private static final int[] TOKENS = {1, 3, 5, 9, 17, armor.runtime.kernels.Sparse24Kernels.TOKEN_TILE + 5,
            armor.runtime.kernels.Sparse24Kernels.TOKEN_TILE + 17, 3 * armor.runtime.kernels.Sparse24Kernels.TOKEN_TILE + 5};

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /** y = W x for every token in double, and Σ|W||x| per output for the tolerance. */
    private static void assertProduct(Linear layer, double[] w, int rows, int cols, Random rnd, String what) {
        for (int tokens : TOKENS) {
            float[] x = gaussian(rnd, tokens * cols), y = new float[tokens * rows];
            java.util.Arrays.fill(y, Float.NaN); // every output must be written
            layer.forward(x, y, tokens);
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rows; r++) {
                    double ref = 0, mag = 0;
                    for (int c = 0; c < cols; c++) {
                        ref += w[r * cols + c] * x[t * cols + c];
                        mag += Math.abs(w[r * cols + c] * x[t * cols + c]);
                    }
                    assertEquals(ref, y[t * rows + r], 1e-5 * mag + 1e-6, what + ", " + tokens + " tokens: token " + t + ", row " + r);
                }
        }
    }

    /** The weights from the codes: (q - z)·s, written here from the format, not by the matrix's own dequantize. */
    private static double[] reference(Int4Matrix m) {
        double[] w = new double[m.rows() * m.cols()];
        int gpr = m.cols() / m.groupSize();
        for (int r = 0; r < m.rows(); r++)
            for (int c = 0; c < m.cols(); c++) {
                int g = r * gpr + c / m.groupSize();
                int zero = m.zeroPoints() == null ? 0 : m.zeroPoints()[g];
                w[r * m.cols() + c] = (m.codes()[r * m.cols() + c] - zero) * (double) m.scales()[g];
            }
        return w;
    }

    @Test
    void denseInt4MatchesTheDoubleProductOfItsCodes() {
        Random rnd = new Random(11);
        for (boolean symmetric : new boolean[] {true, false})
            for (int[] s : DENSE_SHAPES) {
                int rows = s[0], cols = s[1], group = s[2];
                Int4Matrix m = Int4Quantizer.quantize(gaussian(rnd, rows * cols), rows, cols, group, symmetric);
                DenseInt4Linear layer = new DenseInt4Linear(m, null);
                String what = rows + "×" + cols + " g" + group + (symmetric ? " symmetric" : " zero points");
                assertProduct(layer, reference(m), rows, cols, rnd, what);
                Int4Matrix back = layer.weight();
                assertArrayEquals(m.codes(), back.codes(), what + ": codes back from the kernel layout");
                assertArrayEquals(m.scales(), back.scales(), what);
                assertArrayEquals(m.zeroPoints(), back.zeroPoints(), what);
            }
    }

    @Test
    void sparse24Int4MatchesTheDoubleProductOfItsKeptCodesAtTheirPositions() {
        Random rnd = new Random(12);
        for (boolean symmetric : new boolean[] {true, false})
            for (int[] s : SPARSE_SHAPES) {
                int rows = s[0], cols = s[1], group = s[2], half = cols / 2;
                Sparse24Core core = Sparse24Core.byMagnitude(gaussian(rnd, rows * cols), rows, cols);
                Int4Matrix kept = Int4Quantizer.quantize(core.values(), rows, half, group / 2, symmetric);
                Sparse24Linear layer = new Sparse24Linear(new Sparse24Int4Matrix(kept, cols, MemorySegment.ofArray(core.meta()), "meta"), null);
                double[] w = keptAtPositions(kept, core);
                String what = "2:4 " + rows + "×" + cols + " g" + group + (symmetric ? " symmetric" : " zero points");
                assertProduct(layer, w, rows, cols, rnd, what);
                assertEquals(WeightFormat.TWO_FOUR_INT4, layer.format());
                assertArrayEquals(core.meta(), layer.core().toCore().meta(), what + ": positions back from the kernel layout");
                float[] dense = layer.denseWeight();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], dense[i], 1e-6 * Math.abs(w[i]), what + ": dense weight " + i);
            }
    }

    /** The dense weight of a 2:4 core's 4-bit kept values at their positions, from the codes' definition. */
    private static double[] keptAtPositions(Int4Matrix kept, Sparse24Core core) {
        int rows = core.rows(), cols = core.cols(), half = cols / 2;
        double[] k = reference(kept), w = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < cols / 4; g++) {
                int nib = core.nibble(r, g);
                w[r * cols + 4 * g + (nib & 3)] = k[r * half + 2 * g];
                w[r * cols + 4 * g + (nib >>> 2)] = k[r * half + 2 * g + 1];
            }
        return w;
    }

    /**
     * ARMOR around a 4-bit core with int8 A' and B': {@code A'·C·B'} in double. Blocks of 16 rows take the fused decode
     * (A' over whole row blocks of the core), blocks of 12 the plain path.
     */
    @Test
    void armorInt4MatchesTheDoubleProductOfItsFactorsAndCore() {
        Random rnd = new Random(13);
        int[][] shapes = {{32, 96, 16, 32}, {48, 64, 16, 64}, {24, 96, 12, 32}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1], block = s[2], group = s[3];
            Sparse24Core core = Sparse24Core.byMagnitude(gaussian(rnd, rows * cols), rows, cols);
            Int4Matrix kept = Int4Quantizer.quantize(core.values(), rows, cols / 2, group / 2, false);
            BlockDiagonal a = BlockDiagonal.quantize(gaussian(rnd, rows * block), rows / block, block);
            BlockDiagonal b = BlockDiagonal.quantize(gaussian(rnd, cols * block), cols / block, block);
            ArmorLinear layer = new ArmorLinear(new Sparse24Int4Matrix(kept, cols, MemorySegment.ofArray(core.meta()), "meta"), a, b, null);
            assertEquals(WeightFormat.ARMOR_INT4, layer.format());
            double[] c = keptAtPositions(kept, core), w = new double[rows * cols], cb = new double[rows * cols];
            float[] af = a.toFloats(), bf = b.toFloats();
            for (int r = 0; r < rows; r++) // C·B'
                for (int col = 0; col < cols; col++) {
                    int blk = col / block, j = col % block;
                    for (int k = 0; k < block; k++) cb[r * cols + col] += c[r * cols + blk * block + k] * bf[(blk * block + k) * block + j];
                }
            for (int r = 0; r < rows; r++) // A'·(C·B')
                for (int col = 0; col < cols; col++) {
                    int blk = r / block, i = r % block;
                    for (int k = 0; k < block; k++) w[r * cols + col] += af[(blk * block + i) * block + k] * cb[(blk * block + k) * cols + col];
                }
            assertProduct(layer, w, rows, cols, rnd, "ARMOR-int4 " + rows + "×" + cols + " block " + block);
        }
    }

    @Test
    void badMetadataAndGroupsAreRefusedNamingWhatIsWrong() {
        Int4Matrix kept = Int4Quantizer.quantize(new float[4 * 8], 4, 8, 8, true);
        byte[] meta = new byte[4 * 2];
        java.util.Arrays.fill(meta, (byte) 0x44);
        meta[5] = 0x47; // row 2, group 2: nibble 7 = positions 3, 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sparse24Int4Matrix(kept, 16, MemorySegment.ofArray(meta), "P.sparse_meta"));
        assertTrue(e.getMessage().contains("P.sparse_meta: row 2, group 2"), e.getMessage());
        Int4Matrix g4 = Int4Quantizer.quantize(new float[2 * 32], 2, 32, 4, true);
        assertThrows(IllegalArgumentException.class, () -> new DenseInt4Linear(g4, null));
    }
}
