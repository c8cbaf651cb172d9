package armor.runtime.quant;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Int4Quantizer} against compressed-tensors' rules and a brute-force nearest grid point. */
class Int4QuantizerTest {
    @Test
    void everyValueGoesToTheNearestPointOfItsGroupsGrid() {
        Random rnd = new Random(5);
        int rows = 7, cols = 96, group = 32;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.1 + (i % 3 == 0 ? 0.05 : 0));
        for (boolean symmetric : new boolean[] {true, false}) {
            Int4Matrix m = Int4Quantizer.quantize(w, rows, cols, group, symmetric);
            assertEquals(symmetric, m.symmetric());
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols / group; g++) {
                    float s = m.scales()[r * (cols / group) + g];
                    int z = m.zero(r, g);
                    float max = 0, min = 0;
                    for (int c = g * group; c < (g + 1) * group; c++) {
                        max = Math.max(max, w[r * cols + c]);
                        min = Math.min(min, w[r * cols + c]);
                    }
                    // compressed-tensors: symmetric max|w|/7.5; asymmetric (max - min)/15 with the range widened to 0
                    assertEquals(symmetric ? Math.max(max, -min) / 7.5f : (max - min) / 15f, s, 1e-7f);
                    for (int c = g * group; c < (g + 1) * group; c++) {
                        int q = m.codes()[r * cols + c];
                        assertTrue(q >= -8 && q <= 7);
                        double best = Double.MAX_VALUE;
                        for (int k = -8; k <= 7; k++) best = Math.min(best, Math.abs((k - z) * (double) s - w[r * cols + c]));
                        assertEquals(best, Math.abs(m.get(r, c) - w[r * cols + c]), 1e-6 * s, "row " + r + " column " + c);
                    }
                }
        }
    }

    @Test
    void zeroGroupsStayZeroAndGroupSizesFollowTheRule() {
        Int4Matrix m = Int4Quantizer.quantize(new float[16], 1, 16, 16, false);
        for (int c = 0; c < 16; c++) assertEquals(0f, m.get(0, c));
        assertEquals(128, Int4Quantizer.groupSize(256, 0));
        assertEquals(172, Int4Quantizer.groupSize(172, 0));
        assertEquals(32, Int4Quantizer.groupSize(64, 32));
        assertThrows(IllegalArgumentException.class, () -> Int4Quantizer.groupSize(64, 24));
        assertThrows(IllegalArgumentException.class, () -> Int4Quantizer.groupSize(96, 8));
    }
}
