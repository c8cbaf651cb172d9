package armor.runtime.linear;

import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every int8 kernel and tile shape (decode, four-token passes, prefill tiles, leftovers; dense, 2:4 and ARMOR) against
 * an independent reference: the int8 codes times their scales in double precision, then a plain double matrix product.
 * Token counts cover one token, the four-token path with and without leftovers, and prefill tiles (64 tokens on
 * AVX-512, 32 on AVX2) with a remainder; shapes cover per-row scales over a row whose length is not a multiple of
 * the vector length (172), an odd group count (43 groups), partial row blocks (37 rows) and several group sizes.
 */
class Int8LinearTest {
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 8, 9, Sparse24Kernels.TOKEN_TILE, Sparse24Kernels.TOKEN_TILE + 7,
            2 * Sparse24Kernels.TOKEN_TILE + 5};

    /** Dequantized W (rows × cols) in double: code × scale, from the matrix's own arrays (no runtime code involved). */
    static double[] dequantize(Int8Matrix m) {
        double[] w = new double[m.rows() * m.cols()];
        int gpr = m.cols() / m.groupSize();
        for (int r = 0; r < m.rows(); r++)
            for (int c = 0; c < m.cols(); c++)
                w[r * m.cols() + c] = (double) m.values()[r * m.cols() + c] * (double) m.scales()[r * gpr + c / m.groupSize()];
        return w;
    }

    /** y = W x_t in double for each token, checked against the kernel's float result within a float32 accumulation bound. */
    static void assertProduct(double[] w, int rows, int cols, float[] x, float[] y, int tokens, String what) {
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    double p = w[r * cols + c] * x[t * cols + c];
                    s += p;
                    mag += Math.abs(p);
                }
                double got = y[t * rows + r];
                assertEquals(s, got, 2e-5 * mag + 1e-6, what + ": token " + t + ", row " + r);
            }
        }
    }

    static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    @Test
    void denseInt8MatchesDoubleReference() {
        Random rnd = new Random(3);
        // rows, cols, group (0: default); the last three span several prefill panels of DenseGemm (64 rows × 256
        // columns) with ragged edges, the last one in the row-major layout on AVX-512 (groups of 24 are not whole vectors)
        int[][] shapes = {{37, 172, 0}, {64, 256, 32}, {33, 512, 128}, {16, 64, 8}, {8, 2048, 2048}, {137, 604, 604},
                {70, 520, 8}, {70, 312, 24}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1], g = Int8Quantizer.groupSize(cols, s[2]);
            Int8Matrix q = Int8Quantizer.quantize(gaussian(rnd, rows * cols), rows, cols, g);
            double[] w = dequantize(q);
            for (int tokens : TOKENS) {
                float[] x = gaussian(rnd, tokens * cols);
                float[] y = new float[tokens * rows];
                new DenseInt8Linear(q, null).forward(x, y, tokens);
                assertProduct(w, rows, cols, x, y, tokens, "dense-int8 " + rows + "x" + cols + " g" + g + ", " + tokens + " tokens");
            }
        }
    }

    /** The 2:4 core's kept values quantized with groups of G dense columns (G/2 kept values), positions from the mask. */
    @Test
    void sparseInt8MatchesDoubleReference() {
        Random rnd = new Random(5);
        int[][] shapes = {{37, 172, 172}, {45, 256, 32}, {64, 256, 256}, {24, 64, 8}, {16, 1024, 128}}; // rows, cols, G
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1], g = s[2];
            Sparse24MatrixTest.Masked masked = Sparse24MatrixTest.Masked.random(rnd, rows, cols);
            Sparse24Core core = Sparse24Core.fromMask(masked.dense(), masked.mask(), rows, cols);
            Sparse24Int8Matrix m = Sparse24Int8Matrix.quantize(core, g);
            // reference: quantize the kept values independently of the kernel layout, scatter to dense by the mask
            Int8Matrix qv = Int8Quantizer.quantize(core.values(), rows, cols / 2, g / 2);
            double[] kept = dequantize(qv);
            double[] w = new double[rows * cols];
            for (int r = 0; r < rows; r++)
                for (int grp = 0; grp < cols / 4; grp++) {
                    int nib = core.nibble(r, grp);
                    w[r * cols + 4 * grp + (nib & 3)] = kept[r * cols / 2 + 2 * grp];
                    w[r * cols + 4 * grp + (nib >>> 2)] = kept[r * cols / 2 + 2 * grp + 1];
                }
            Sparse24Linear layer = new Sparse24Linear(m, null);
            for (int tokens : TOKENS) {
                float[] x = gaussian(rnd, tokens * cols);
                float[] y = new float[tokens * rows];
                layer.forward(x, y, tokens);
                assertProduct(w, rows, cols, x, y, tokens, "2:4-int8 " + rows + "x" + cols + " G" + g + ", " + tokens + " tokens");
            }
            // the dequantized core the exporter writes is the same matrix
            float[] back = m.toCore().toDense();
            for (int i = 0; i < w.length; i++) assertEquals(w[i], back[i], 1e-6 * Math.abs(w[i]) + 1e-12, "toCore element " + i);
        }
    }

    @Test
    void armorInt8MatchesDoubleReference() {
        Random rnd = new Random(7);
        int[][] shapes = {{48, 64, 16, 8}, {40, 32, 8, 4}, {24, 40, 4, 8}}; // d_out, d_in, b_out, b_in (4: unfused decode)
        for (int[] s : shapes) {
            int m = s[0], n = s[1], bo = s[2], bi = s[3];
            Sparse24MatrixTest.Masked masked = Sparse24MatrixTest.Masked.random(rnd, m, n);
            Sparse24Core core = Sparse24Core.fromMask(masked.dense(), masked.mask(), m, n);
            Sparse24Int8Matrix c = Sparse24Int8Matrix.quantize(core, n);
            float[] a = gaussian(rnd, m * bo), b = gaussian(rnd, n * bi);
            BlockDiagonal aq = BlockDiagonal.quantize(a, m / bo, bo), bq = BlockDiagonal.quantize(b, n / bi, bi);
            float[] bias = gaussian(rnd, m);
            ArmorLinear layer = new ArmorLinear(c, aq, bq, bias);
            // reference: A'·C·B' from independently dequantized factors, in double
            double[] ad = dequantize(Int8Quantizer.quantize(a, m, bo, bo)), bd = dequantize(Int8Quantizer.quantize(b, n, bi, bi));
            double[] kept = dequantize(Int8Quantizer.quantize(core.values(), m, n / 2, n / 2));
            double[][] cd = new double[m][n];
            for (int r = 0; r < m; r++)
                for (int grp = 0; grp < n / 4; grp++) {
                    int nib = core.nibble(r, grp);
                    cd[r][4 * grp + (nib & 3)] = kept[r * n / 2 + 2 * grp];
                    cd[r][4 * grp + (nib >>> 2)] = kept[r * n / 2 + 2 * grp + 1];
                }
            double[][] cb = new double[m][n];
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++) {
                    int blk = j / bi;
                    double v = 0;
                    for (int p = 0; p < bi; p++) v += cd[r][blk * bi + p] * bd[(blk * bi + p) * bi + (j - blk * bi)];
                    cb[r][j] = v;
                }
            double[] w = new double[m * n];
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++) {
                    int blk = r / bo;
                    double v = 0;
                    for (int p = 0; p < bo; p++) v += ad[r * bo + p] * cb[blk * bo + p][j];
                    w[r * n + j] = v;
                }
            for (int tokens : TOKENS) {
                float[] x = gaussian(rnd, tokens * n);
                float[] y = new float[tokens * m];
                layer.forward(x, y, tokens);
                for (int t = 0; t < tokens; t++) for (int r = 0; r < m; r++) y[t * m + r] -= bias[r];
                assertProduct(w, m, n, x, y, tokens, "armor-int8 " + m + "x" + n + " b" + bo + "/" + bi + ", " + tokens + " tokens");
            }
        }
    }
}
