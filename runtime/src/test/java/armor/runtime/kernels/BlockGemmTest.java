package armor.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The block kernel against a plain triple loop, on every tile path (full tiles, row and column edges, Xᵀ). */
class BlockGemmTest {
    @Test
    void matchesTheTripleLoop() {
        Random rnd = new Random(4);
        int[][] shapes = {{128, 128, 128}, {64, 172, 64}, {4, 4, 4}, {13, 70, 9}, {48, 96, 128}, {8, 33, 16}};
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            for (boolean transposedX : new boolean[] {false, true}) {
                for (boolean acc : new boolean[] {false, true}) {
                    int ldo = n + 3, ldy = n + 5;
                    float[] x = new float[m * k + 7], y = new float[k * ldy + 5], out = new float[m * ldo + 2];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < out.length; i++) out[i] = (float) rnd.nextGaussian();
                    float[] before = out.clone();
                    int xo = 3, yo = 2, oo = 1;
                    int xsi = transposedX ? 1 : k, xsk = transposedX ? m : 1;
                    BlockGemm.gemm(m, n, k, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, acc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = acc ? before[oo + i * ldo + j] : 0;
                            for (int q = 0; q < k; q++) s += (double) x[xo + i * xsi + q * xsk] * y[yo + q * ldy + j];
                            assertEquals(s, out[oo + i * ldo + j], 1e-4 * (1 + Math.sqrt(k)),
                                    m + "×" + n + "×" + k + " T=" + transposedX + " acc=" + acc + " at " + i + "," + j);
                        }
                        // nothing outside the output rows' n columns is touched
                        for (int j = n; j < ldo && oo + i * ldo + j < out.length; j++) {
                            assertEquals(before[oo + i * ldo + j], out[oo + i * ldo + j]);
                        }
                    }
                }
            }
        }
    }
}
