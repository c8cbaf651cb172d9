package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.BlockDiagonal;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The host-side shapes and data the GPU path hands to cuSPARSELt and cuBLAS, checked on the CPU. */
class GpuOperandsTest {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** The expanded operand equals the CPU runtime's own dense view of the same core ({@link Sparse24Core#toDense}). */
    @Test
    void sparseCoreExpandsToTheDenseMatrixWithZeros() {
        Random r = new Random(11);
        int rows = 12, cols = 40; // 10 groups: an even count; and 5 groups below: odd, with a pad nibble
        for (int c : new int[] {cols, 20}) {
            Sparse24Core core = Sparse24Core.byMagnitude(random(r, rows * c), rows, c);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment values = arena.allocate(2L * core.values().length);
                for (int i = 0; i < core.values().length; i++) values.setAtIndex(LE_SHORT, i, HalfFloat.floatToBf16(core.values()[i]));
                MemorySegment meta = arena.allocate(core.meta().length);
                MemorySegment.copy(core.meta(), 0, meta, ValueLayout.JAVA_BYTE, 0, core.meta().length);
                short[] dense = SparseCoreOperand.expand(values, meta, rows, c, DType.BF16, "model.layers.0.mlp.up_proj");
                float[] reference = core.toDense();
                short[] expected = new short[reference.length];
                for (int i = 0; i < reference.length; i++) expected[i] = HalfFloat.floatToBf16(reference[i]);
                assertArrayEquals(expected, dense);
                for (int row = 0; row < rows; row++) {
                    for (int g = 0; g < c / 4; g++) {
                        int zeros = 0;
                        for (int k = 0; k < 4; k++) if (dense[row * c + 4 * g + k] == 0) zeros++;
                        assertTrue(zeros >= 2, "row " + row + " group " + g + " is not 2:4");
                    }
                }
            }
        }
    }

    @Test
    void badSparseCoreInputIsNamed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment values = arena.allocate(2L * 2 * 4);
            MemorySegment meta = arena.allocate(2);
            meta.set(ValueLayout.JAVA_BYTE, 1, (byte) 0x45); // row 1, group 0: p0 = 1, p1 = 1
            meta.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x44); // row 0: both groups p0 = 0, p1 = 1
            IllegalArgumentException nibble = assertThrows(IllegalArgumentException.class,
                    () -> SparseCoreOperand.expand(values, meta, 2, 8, DType.BF16, "L"));
            assertEquals("L.sparse_meta: row 1, group 0 has nibble 5, expected two kept positions p0 < p1", nibble.getMessage());
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> SparseCoreOperand.expand(values, meta, 2, 12, DType.BF16, "L"));
            assertEquals("L.sparse_values has 16 bytes, expected 24 (2 × 6 × 2)", size.getMessage());
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                    () -> SparseCoreOperand.expand(values, meta, 2, 8, DType.F32, "L"));
            assertEquals("L: cuSPARSELt 2:4 needs bf16 or f16 values, found F32", dtype.getMessage());
        }
    }

    /**
     * cuBLAS's strided-batched GEMM, emulated from its definition (column-major, C_i = op(A_i) op(B_i) at
     * A + i·strideA, B + i·strideB, C + i·strideC), run with {@link GemmShape#blockDiagonal}'s parameters, must equal
     * the CPU runtime's {@link BlockDiagonal#applyBlock}.
     */
    @Test
    void blockDiagonalGemmParametersReproduceTheCpuProduct() {
        Random r = new Random(12);
        int blocks = 6, b = 8, dim = blocks * b;
        for (int tokens : new int[] {1, 5, 64}) {
            float[] w = random(r, blocks * b * b), x = random(r, tokens * dim);
            BlockDiagonal m = BlockDiagonal.fromFloats(w, blocks, b, DType.F32);
            float[] expected = new float[tokens * dim];
            for (int k = 0; k < blocks; k++) m.applyBlock(k, x, 0, dim, expected, 0, dim, tokens); // single-threaded
            GemmShape g = GemmShape.blockDiagonal(blocks, b, tokens);
            float[] y = new float[tokens * dim];
            gemmStridedBatched(g, w, x, y);
            for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 1e-5f, "tokens " + tokens + ", element " + i);
        }
    }

    static void gemmStridedBatched(GemmShape g, float[] a, float[] bMat, float[] c) {
        for (int batch = 0; batch < g.batchCount(); batch++) {
            long aBase = batch * g.strideA(), bBase = batch * g.strideB(), cBase = batch * g.strideC();
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double sum = 0;
                    for (int p = 0; p < g.k(); p++) {
                        float av = g.transA() ? a[(int) (aBase + p + (long) i * g.lda())] : a[(int) (aBase + i + (long) p * g.lda())];
                        float bv = g.transB() ? bMat[(int) (bBase + j + (long) p * g.ldb())] : bMat[(int) (bBase + p + (long) j * g.ldb())];
                        sum += (double) av * bv;
                    }
                    c[(int) (cBase + i + (long) j * g.ldc())] = (float) sum;
                }
            }
        }
    }

    /** The dense shape, emulated the same way, equals y = W x written out directly. */
    @Test
    void denseGemmParametersReproduceTheMatrixProduct() {
        Random r = new Random(13);
        int out = 24, in = 40;
        for (int tokens : new int[] {1, 3, 16}) {
            float[] w = random(r, out * in), x = random(r, tokens * in);
            float[] expected = new float[tokens * out];
            for (int t = 0; t < tokens; t++) {
                for (int o = 0; o < out; o++) {
                    double sum = 0;
                    for (int i = 0; i < in; i++) sum += (double) w[o * in + i] * x[t * in + i];
                    expected[t * out + o] = (float) sum;
                }
            }
            float[] y = new float[tokens * out];
            gemmStridedBatched(GemmShape.dense(out, in, tokens), w, x, y);
            assertArrayEquals(expected, y, 1e-5f);
        }
    }

    @Test
    void batchBucketsAreFewAndMultiplesOfEight() {
        assertEquals(8, BatchBuckets.bucket(1));
        assertEquals(8, BatchBuckets.bucket(8));
        assertEquals(16, BatchBuckets.bucket(9));
        assertEquals(64, BatchBuckets.bucket(64));
        assertEquals(2048, BatchBuckets.bucket(2048));
        assertEquals(4096, BatchBuckets.bucket(2049));
        int previous = 0, distinct = 0;
        for (int t = 1; t <= 2048; t++) {
            int bucket = BatchBuckets.bucket(t);
            assertTrue(bucket >= t && bucket % 8 == 0 && bucket < Math.max(16, 2 * t), "bucket " + bucket + " for " + t);
            if (bucket != previous) distinct++;
            previous = bucket;
        }
        assertEquals(9, distinct); // 8, 16, ..., 2048
        assertThrows(IllegalArgumentException.class, () -> BatchBuckets.bucket(0));
    }
}
