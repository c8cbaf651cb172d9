package armor.runtime.linear;

import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Sparse24MatrixTest {

    /** A random 2:4 matrix whose values are small integers / 64, exactly representable in bf16, f16 and f32. */
    record Masked(float[] dense, boolean[] mask, int rows, int cols) {
        static Masked random(Random rnd, int rows, int cols) {
            float[] w = new float[rows * cols];
            boolean[] mask = new boolean[rows * cols];
            int[][] pairs = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c += 4) {
                    int[] p = pairs[rnd.nextInt(6)];
                    for (int k : p) {
                        mask[r * cols + c + k] = true;
                        w[r * cols + c + k] = (rnd.nextInt(255) - 127) / 64f;
                    }
                }
            }
            return new Masked(w, mask, rows, cols);
        }
    }

    static float[] randomX(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /**
     * Plain reference: y_t = W x_t in double over the dense masked matrix, and for each entry the sum of |w·x|,
     * the scale of float32 rounding error in any summation order.
     */
    static double[][] reference(float[] w, int rows, int cols, float[] x, int tokens) {
        double[] y = new double[tokens * rows], mag = new double[tokens * rows];
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++) {
                double s = 0, a = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) w[r * cols + c] * x[t * cols + c];
                    s += p;
                    a += Math.abs(p);
                }
                y[t * rows + r] = s;
                mag[t * rows + r] = a;
            }
        return new double[][] {y, mag};
    }

    static void assertClose(double[][] expected, float[] actual, double tol, String what) {
        assertEquals(expected[0].length, actual.length, what + ": length");
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(expected[0][i] - actual[i]);
            assertTrue(err <= tol * (1e-3 + expected[1][i]), what + ": index " + i + " expected " + expected[0][i] + " got " + actual[i]);
        }
    }

    @Test
    void kernelsMatchReferenceOnOddShapesAndTokenCounts() {
        Random rnd = new Random(42);
        // rows not a multiple of 8 (tail lanes), odd group counts, cols not a multiple of 8, splits across threads
        // 11×2056: 514 groups, more than one column chunk of the prefill kernel (512 groups)
        int[][] shapes = {{1, 4}, {7, 12}, {8, 8}, {13, 20}, {33, 44}, {64, 36}, {129, 260}, {250, 516}, {11, 2056}};
        // bf16 below a token tile: four-token decode passes plus single tokens; from one: prefill tiles (double tiles
        // first, then single ones, then 8-token ones for f16/f32), then the same
        int[] tokenCounts = {1, 2, 3, 5, 8, 9, 31, 63, 64, 65, 71, 100, 130, 3 * Sparse24Kernels.TOKEN_TILE + 9};
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int[] s : shapes) {
                Masked m = Masked.random(rnd, s[0], s[1]);
                Sparse24Matrix packed = Sparse24Matrix.fromCore(Sparse24Core.fromMask(m.dense, m.mask, s[0], s[1]), dt);
                for (int tokens : tokenCounts) {
                    float[] x = randomX(rnd, tokens * s[1]);
                    float[] y = new float[tokens * s[0]];
                    packed.multiply(x, y, tokens);
                    assertClose(reference(m.dense, s[0], s[1], x, tokens), y, 1e-5, dt + " " + s[0] + "x" + s[1] + " tokens=" + tokens);
                }
            }
        }
    }

    @Test
    void decodeWritesOnlyItsOwnRowsAtOffset() {
        Random rnd = new Random(3);
        Masked m = Masked.random(rnd, 11, 16);
        Sparse24Matrix packed = Sparse24Matrix.fromCore(Sparse24Core.fromMask(m.dense, m.mask, 11, 16), DType.BF16);
        float[] x = randomX(rnd, 16 + 5);
        float[] y = new float[11 + 7];
        java.util.Arrays.fill(y, 99f);
        packed.decode(x, 5, y, 3);
        double[] ref = reference(m.dense, 11, 16, java.util.Arrays.copyOfRange(x, 5, 21), 1)[0];
        for (int i = 0; i < 3; i++) assertEquals(99f, y[i]);
        for (int i = 0; i < 11; i++) assertEquals(ref[i], y[3 + i], 1e-5 * (1 + Math.abs(ref[i])));
        for (int i = 14; i < 18; i++) assertEquals(99f, y[i], "row past the end overwritten at " + i);
    }

    @Test
    void f16SubnormalsAndSignsAreWidenedExactly() {
        // f16 bit patterns: subnormals, smallest normal, negatives, large values
        short[] bits = {0x0001, (short) 0x8001, 0x03ff, 0x0400, (short) 0xbc00, 0x7bff, (short) 0xfbff, 0x3555};
        int rows = bits.length / 2 * 4, cols = 8; // enough rows to place each pair once per group
        float[] w = new float[rows * cols];
        boolean[] mask = new boolean[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < 2; g++) {
                int i = (r * 2 + g) % bits.length;
                w[r * cols + 4 * g + 1] = Float.float16ToFloat(bits[i]);
                w[r * cols + 4 * g + 3] = Float.float16ToFloat(bits[(i + 1) % bits.length]);
                mask[r * cols + 4 * g + 1] = mask[r * cols + 4 * g + 3] = true;
            }
        Sparse24Matrix packed = Sparse24Matrix.fromCore(Sparse24Core.fromMask(w, mask, rows, cols), DType.F16);
        for (int c = 0; c < cols; c++) {
            float[] x = new float[cols];
            x[c] = 1f; // y = column c of W exactly
            float[] y = new float[rows];
            packed.multiply(x, y, 1);
            for (int r = 0; r < rows; r++) assertEquals(w[r * cols + c], y[r], 0f, "row " + r + " col " + c);
        }
    }

    /**
     * Ties: entries from a small set of magnitudes of both signs (zeros included) against a stable descending sort
     * of each group by |w|, the first two kept.
     */
    @Test
    void magnitudeBreaksTiesTowardsTheLowerColumnLikeAStableSort() {
        Random rnd = new Random(11);
        int rows = 40, cols = 32;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (rnd.nextInt(3)) * (rnd.nextBoolean() ? 1f : -1f);
        Sparse24Core core = Sparse24Core.byMagnitude(w, rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int base = r * cols + 4 * g;
                Integer[] order = {0, 1, 2, 3};
                java.util.Arrays.sort(order, (a, b) -> Float.compare(Math.abs(w[base + b]), Math.abs(w[base + a])));
                int lo = Math.min(order[0], order[1]), hi = Math.max(order[0], order[1]);
                assertEquals(lo | hi << 2, core.nibble(r, g), "row " + r + " group " + g);
                assertEquals(w[base + lo], core.values()[r * cols / 2 + 2 * g]);
                assertEquals(w[base + hi], core.values()[r * cols / 2 + 2 * g + 1]);
            }
        }
    }

    @Test
    void magnitudeKeepsTheTwoLargestOfEveryGroup() {
        Random rnd = new Random(5);
        int rows = 9, cols = 24;
        float[] w = randomX(rnd, rows * cols);
        float[] pruned = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c += 4) {
                int kept = 0;
                for (int k = 0; k < 4; k++) {
                    float v = w[r * cols + c + k];
                    int larger = 0;
                    for (int j = 0; j < 4; j++) if (Math.abs(w[r * cols + c + j]) > Math.abs(v)) larger++;
                    if (larger < 2) {
                        assertEquals(v, pruned[r * cols + c + k], "kept entry");
                        kept++;
                    } else {
                        assertEquals(0f, pruned[r * cols + c + k], "pruned entry");
                    }
                }
                assertEquals(2, kept);
            }
    }

    @Test
    void checkpointTensorsRoundTripAndBadMetadataIsNamed() {
        Random rnd = new Random(9);
        int rows = 10, cols = 12; // 3 groups: odd, so every row has a pad nibble
        Masked m = Masked.random(rnd, rows, cols);
        Sparse24Core core = Sparse24Core.fromMask(m.dense, m.mask, rows, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vals = arena.allocate((long) rows * cols / 2 * 2);
            for (int i = 0; i < core.values().length; i++)
                vals.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i,
                        (short) (Float.floatToRawIntBits(core.values()[i]) >>> 16));
            MemorySegment meta = arena.allocate(core.meta().length);
            MemorySegment.copy(core.meta(), 0, meta, ValueLayout.JAVA_BYTE, 0, core.meta().length);
            Sparse24Matrix loaded = Sparse24Matrix.fromCheckpoint(rows, cols, DType.BF16, vals, meta, "layer.sparse_meta");
            assertEquals(core, loaded.toCore());
            assertArrayEquals(m.dense, loaded.toCore().toDense());

            // row 4, group 1 -> high nibble of byte 0 of row 4: set positions (2,2)
            int at = 4 * Sparse24Core.metaCols(cols);
            meta.set(ValueLayout.JAVA_BYTE, at, (byte) ((meta.get(ValueLayout.JAVA_BYTE, at) & 0x0f) | (0b1010 << 4)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Sparse24Matrix.fromCheckpoint(rows, cols, DType.BF16, vals, meta, "layer.sparse_meta"));
            assertTrue(e.getMessage().contains("layer.sparse_meta") && e.getMessage().contains("row 4, group 1"), e.getMessage());
        }
    }

    @Test
    void fromMaskRejectsGroupsWithOtherThanTwoKept() {
        float[] w = new float[8];
        boolean[] mask = {true, true, true, false, true, false, false, false};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24Core.fromMask(w, mask, 1, 8));
        assertTrue(e.getMessage().contains("group 0"), e.getMessage());
    }
}
