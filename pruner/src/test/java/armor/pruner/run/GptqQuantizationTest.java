package armor.pruner.run;

import armor.runtime.linear.BlockDiagonal;
import armor.runtime.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Gram matrix an ARMOR core sees, {@code B'·G·B'ᵀ}, against the product of the dense matrices by brute force. */
class GptqQuantizationTest {
    @Test
    void gramThroughBPrimeIsTheDenseCongruence() {
        Random rnd = new Random(5);
        int blocks = 3, b = 4, n = blocks * b;
        float[] f = new float[blocks * b * b];
        for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextGaussian();
        double[] x = new double[20 * n], g = new double[n * n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
        for (int t = 0; t < 20; t++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i * n + j] += x[t * n + i] * x[t * n + j];
        double[] dense = new double[n * n]; // B' written out
        for (int k = 0; k < blocks; k++) for (int i = 0; i < b; i++) for (int j = 0; j < b; j++)
            dense[(k * b + i) * n + k * b + j] = f[(k * b + i) * b + j];
        double[] got = GptqQuantization.gramThrough(BlockDiagonal.fromFloats(f, blocks, b, DType.F32), g);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) {
                double want = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) want += dense[r * n + i] * g[i * n + j] * dense[c * n + j];
                assertEquals(want, got[r * n + c], 1e-9 * (1 + Math.abs(want)), "(" + r + ", " + c + ")");
            }
    }
}
