package armor.pruner.method;

import armor.runtime.linear.Sparse24Core;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GPTQ against two independent references: round to nearest (what GPTQ must reduce to when the inputs are
 * uncorrelated, since then no column's error can be compensated in another), and the layer's output error
 * {@code ‖(W − Q)·Xᵀ‖²} computed by brute force on correlated inputs, which GPTQ exists to make smaller than rounding does.
 */
class GptqTest {
    static final int ROWS = 24, COLS = 64, TOKENS = 512;

    /** Inputs whose features are strongly correlated: a few shared factors plus a little noise, and uneven scales. */
    static float[] correlatedInputs(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int factors = 6;
        float[][] mix = new float[factors][COLS];
        for (float[] m : mix) for (int j = 0; j < COLS; j++) m[j] = (float) rnd.nextGaussian();
        float[] x = new float[TOKENS * COLS];
        for (int t = 0; t < TOKENS; t++) {
            double[] f = new double[factors];
            for (int k = 0; k < factors; k++) f[k] = rnd.nextGaussian();
            for (int j = 0; j < COLS; j++) {
                double v = 0.2 * rnd.nextGaussian();
                for (int k = 0; k < factors; k++) v += f[k] * mix[k][j];
                x[t * COLS + j] = (float) (v * (1 + j % 5));
            }
        }
        return x;
    }

    static double[] gram(float[] x) {
        double[] g = new double[COLS * COLS];
        for (int t = 0; t < TOKENS; t++)
            for (int i = 0; i < COLS; i++)
                for (int j = 0; j < COLS; j++) g[i * COLS + j] += (double) x[t * COLS + i] * x[t * COLS + j];
        return g;
    }

    static float[] weights(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.05 * rnd.nextGaussian());
        return w;
    }

    /** Σ over tokens and rows of ((W − Q)·x)², in double. */
    static double outputError(float[] w, float[] q, float[] x) {
        double sum = 0;
        for (int t = 0; t < TOKENS; t++) {
            for (int r = 0; r < ROWS; r++) {
                double d = 0;
                for (int j = 0; j < COLS; j++) d += (double) (w[r * COLS + j] - q[r * COLS + j]) * x[t * COLS + j];
                sum += d * d;
            }
        }
        return sum;
    }

    static double[] diagonalGram(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] g = new double[COLS * COLS];
        for (int j = 0; j < COLS; j++) g[j * COLS + j] = 1 + 10 * rnd.nextDouble();
        return g;
    }

    @Test
    void uncorrelatedInputsGiveRoundToNearest() {
        float[] w = weights(1);
        for (boolean symmetric : new boolean[] {true, false}) {
            for (int group : new int[] {16, 32, COLS}) {
                Int4Matrix gptq = Gptq.quantize(w, ROWS, COLS, diagonalGram(2), group, symmetric);
                Int4Matrix rtn = Int4Quantizer.quantize(w, ROWS, COLS, group, symmetric);
                String what = "group " + group + (symmetric ? " symmetric" : " with zero points");
                assertArrayEquals(rtn.codes(), gptq.codes(), what);
                assertArrayEquals(rtn.scales(), gptq.scales(), what);
                if (!symmetric) assertArrayEquals(rtn.zeroPoints(), gptq.zeroPoints(), what);
            }
        }
    }

    @Test
    void correlatedInputsGiveASmallerOutputErrorThanRounding() {
        float[] x = correlatedInputs(3), w = weights(4);
        double[] g = gram(x);
        for (boolean symmetric : new boolean[] {true, false}) {
            for (int group : new int[] {16, 32, COLS}) {
                double e = outputError(w, Gptq.quantize(w, ROWS, COLS, g, group, symmetric).dequantize(), x);
                double rtn = outputError(w, Int4Quantizer.quantize(w, ROWS, COLS, group, symmetric).dequantize(), x);
                String what = "group " + group + (symmetric ? " symmetric" : " with zero points") + ": GPTQ " + e + ", RTN " + rtn;
                // OBS compensation on 64 strongly correlated features: well under half the rounding error
                assertTrue(e < 0.5 * rtn, what);
            }
        }
    }

    @Test
    void twoFourCoreKeepsItsMaskAndCompensatesThroughIt() {
        float[] x = correlatedInputs(5), w = weights(6);
        Sparse24Core core = Sparse24Core.byMagnitude(w, ROWS, COLS);
        float[] pruned = core.toDense();
        // uncorrelated inputs: GPTQ of the kept values is round to nearest of the kept values, in the core's order
        Int4Matrix plain = Gptq.quantize(core, diagonalGram(7), 32, true);
        Int4Matrix rtn = Int4Quantizer.quantize(core.values(), ROWS, COLS / 2, 16, true);
        assertArrayEquals(rtn.codes(), plain.codes());
        assertArrayEquals(rtn.scales(), plain.scales());

        // correlated inputs: the mask is the core's, and the output error against the 2:4 weight is below rounding's
        double[] g = gram(x);
        Int4Matrix q = Gptq.quantize(core, g, 32, false);
        assertEquals(COLS / 2, q.cols());
        assertEquals(16, q.groupSize());
        float[] deq = new Sparse24Core(ROWS, COLS, q.dequantize(), core.meta()).toDense();
        double e = outputError(pruned, deq, x);
        double r = outputError(pruned, new Sparse24Core(ROWS, COLS,
                Int4Quantizer.quantize(core.values(), ROWS, COLS / 2, 16, false).dequantize(), core.meta()).toDense(), x);
        assertTrue(e < 0.7 * r, "2:4 GPTQ " + e + ", RTN " + r);
    }

    @Test
    void badShapesAreRefusedByName() {
        float[] w = weights(8);
        var e = assertThrows(IllegalArgumentException.class, () -> Gptq.quantize(w, ROWS, COLS, new double[4], 32, true));
        assertTrue(e.getMessage().contains("Gram matrix has 4 entries, expected 64×64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gptq.quantize(w, ROWS, COLS, diagonalGram(1), 24, true));
        assertTrue(e.getMessage().contains("group size 24 does not divide the 64 columns"), e.getMessage());
    }
}
