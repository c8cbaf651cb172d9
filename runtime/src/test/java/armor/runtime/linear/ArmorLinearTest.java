package armor.runtime.linear;

import armor.runtime.kernels.BlockDiagonalKernels;
import armor.runtime.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ArmorLinearTest {

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    /** Dense block-diagonal from (blocks, b, b). */
    static double[][] blockDiag(float[] blocks, int nb, int b) {
        double[][] m = new double[nb * b][nb * b];
        for (int k = 0; k < nb; k++)
            for (int i = 0; i < b; i++)
                for (int j = 0; j < b; j++) m[k * b + i][k * b + j] = blocks[(k * b + i) * b + j];
        return m;
    }

    static double[][] matmul(double[][] p, double[][] q) {
        int n = p.length, k = q.length, m = q[0].length;
        double[][] r = new double[n][m];
        for (int i = 0; i < n; i++)
            for (int l = 0; l < k; l++) {
                double v = p[i][l];
                if (v != 0) for (int j = 0; j < m; j++) r[i][j] += v * q[l][j];
            }
        return r;
    }

    /**
     * An ARMOR layer built from A, B, r_out, r_in (scalings folded into A' and B' as the checkpoint stores them)
     * equals the dense reconstruction diag(r_out)·A·(W'⊙M)·B·diag(r_in) applied to x.
     */
    @Test
    void equalsDenseReconstruction() {
        Random rnd = new Random(11);
        int[][] shapes = {{24, 40, 8}, {48, 32, 16}, {20, 12, 4}}; // d_out, d_in, b (b = 4: unfused path)
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], b = s[2];
                Sparse24MatrixTest.Masked core = Sparse24MatrixTest.Masked.random(rnd, m, n);
                float[] a = gaussian(rnd, m * b, 1 / Math.sqrt(b));
                float[] bb = gaussian(rnd, n * b, 1 / Math.sqrt(b));
                float[] rOut = new float[m], rIn = new float[n];
                for (int i = 0; i < m; i++) rOut[i] = 0.5f + rnd.nextFloat();
                for (int j = 0; j < n; j++) rIn[j] = 0.5f + rnd.nextFloat();
                float[] bias = gaussian(rnd, m, 1);

                // reference in double: W = diag(r_out) A (W'⊙M) B diag(r_in)
                double[][] c = new double[m][n];
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[i][j] = core.dense()[i * n + j];
                double[][] w = matmul(matmul(blockDiag(a, m / b, b), c), blockDiag(bb, n / b, b));
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) w[i][j] *= rOut[i] * rIn[j];

                // fold: A' = diag(r_out)·A (row p of each block), B' = B·diag(r_in) (column q of each block)
                float[] aFolded = a.clone(), bFolded = bb.clone();
                for (int k = 0; k < m / b; k++) for (int p = 0; p < b; p++) for (int q = 0; q < b; q++) aFolded[(k * b + p) * b + q] *= rOut[k * b + p];
                for (int k = 0; k < n / b; k++) for (int p = 0; p < b; p++) for (int q = 0; q < b; q++) bFolded[(k * b + p) * b + q] *= rIn[k * b + q];
                BlockDiagonal ad = BlockDiagonal.fromFloats(aFolded, m / b, b, dt);
                BlockDiagonal bd = BlockDiagonal.fromFloats(bFolded, n / b, b, dt);
                ArmorLinear layer = new ArmorLinear(Sparse24Matrix.fromCore(Sparse24Core.fromMask(core.dense(), core.mask(), m, n), dt), ad, bd, bias);
                // bf16 rounds A' and B' (8 significant bits): compare with tolerance of that order
                double tol = dt == DType.F32 ? 1e-5 : 3e-2;
                for (int tokens : new int[] {1, 3, 6, 37}) {
                    float[] x = gaussian(rnd, tokens * n, 1);
                    float[] y = new float[tokens * m];
                    layer.forward(x, y, tokens);
                    double scale = 0;
                    double[] ref = new double[tokens * m];
                    for (int t = 0; t < tokens; t++)
                        for (int i = 0; i < m; i++) {
                            double sum = bias[i];
                            for (int j = 0; j < n; j++) sum += w[i][j] * x[t * n + j];
                            ref[t * m + i] = sum;
                            scale = Math.max(scale, Math.abs(sum));
                        }
                    for (int i = 0; i < ref.length; i++)
                        assertEquals(ref[i], y[i], tol * scale, dt + " " + m + "x" + n + " b=" + b + " tokens=" + tokens + " at " + i);
                }
            }
        }
    }

    @Test
    void blockDiagonalMatchesPlainProductOnOddBlockSizesInEveryDtype() {
        // b not a multiple of the 4-row pass or the 8-lane vector; 1 token (the decode kernel), 5 and 6 (four-token
        // passes plus a remainder), GEMM_TOKENS + 3 (the transposed block through BlockGemm's tiles and their edges);
        // the reference uses the stored (rounded) block values, so only float32 accumulation order differs
        Random rnd = new Random(2);
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (int b : new int[] {4, 6, 12, 13, 20, 32}) {
                int nb = 3, n = nb * b;
                BlockDiagonal d = BlockDiagonal.fromFloats(gaussian(rnd, nb * b * b, 1), nb, b, dt);
                double[][] dense = blockDiag(d.toFloats(), nb, b);
                for (int tokens : new int[] {1, 5, 6, BlockDiagonalKernels.GEMM_TOKENS + 3}) {
                    float[] x = gaussian(rnd, tokens * n, 1);
                    float[] y = new float[tokens * n];
                    d.apply(x, n, y, n, tokens);
                    for (int t = 0; t < tokens; t++)
                        for (int i = 0; i < n; i++) {
                            double s = 0;
                            for (int j = 0; j < n; j++) s += dense[i][j] * x[t * n + j];
                            assertEquals(s, y[t * n + i], 1e-4, dt + " b=" + b + " tokens=" + tokens + " t=" + t + " i=" + i);
                        }
                }
            }
        }
    }

    @Test
    void rejectsBlocksThatDoNotCoverTheCore() {
        Random rnd = new Random(1);
        Sparse24MatrixTest.Masked core = Sparse24MatrixTest.Masked.random(rnd, 16, 16);
        Sparse24Matrix c = Sparse24Matrix.fromCore(Sparse24Core.fromMask(core.dense(), core.mask(), 16, 16), DType.F32);
        BlockDiagonal ok = BlockDiagonal.fromFloats(new float[2 * 64], 2, 8, DType.F32);
        BlockDiagonal wrong = BlockDiagonal.fromFloats(new float[3 * 64], 3, 8, DType.F32);
        assertThrows(IllegalArgumentException.class, () -> new ArmorLinear(c, wrong, ok, null));
        assertThrows(IllegalArgumentException.class, () -> new ArmorLinear(c, ok, wrong, null));
    }
}
