package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.cusparseLt_h;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.Sparse24Core;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 2:4 core on the sparse tensor cores against a double-precision product of the same bf16 operands.
 * Needs a GPU of compute capability 8.0+ and cuSPARSELt 0.8 (ARMOR_CUSPARSELT or a standard place); skipped with
 * the reason otherwise.
 */
class SparseCoreMatmulGpuTest {
    private static String whyNot() {
        return switch (CudaProbe.system().probe()) {
            case CudaSupport.Usable u -> null;
            case CudaSupport.Unusable u -> u.reason().contains("CUDA model backend") ? null : u.reason();
        };
    }

    @Test
    void sparseCoreMatchesTheDenseProduct() {
        String reason;
        try {
            reason = whyNot();
        } catch (CudaUnavailableException e) {
            reason = e.getMessage();
        }
        assumeTrue(reason == null, "GPU test skipped: " + reason);
        Random r = new Random(21);
        int rows = 256, cols = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.05f;
        float[] dense = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        short[] bf = new short[dense.length];
        for (int i = 0; i < dense.length; i++) bf[i] = HalfFloat.floatToBf16(dense[i]);
        // The context first: cuSPARSELt works in the device's primary context, which CudaContext makes current.
        try (CudaContext cuda = CudaContext.open(0); CusparseLtHandle handle = CusparseLtHandle.create()) {
            assertEquals(cusparseLt_h.CUSPARSELT_VERSION() / 100, handle.version() / 100, "cusparseLtGetVersion");
            try (SparseCoreMatmul core = SparseCoreMatmul.load(handle, cuda, bf, rows, cols)) {
                for (int tokens : new int[] {1, 8, 64}) {
                    int bucket = BatchBuckets.bucket(tokens);
                    short[] x = new short[bucket * cols];
                    for (int i = 0; i < tokens * cols; i++) x[i] = HalfFloat.floatToBf16((float) r.nextGaussian());
                    try (DeviceBuffer xb = cuda.allocate(2L * x.length); DeviceBuffer yb = cuda.allocate(2L * bucket * rows)) {
                        xb.upload(x);
                        core.multiply(xb, yb, tokens);
                        cuda.synchronize();
                        short[] y = new short[bucket * rows];
                        yb.download(y);
                        for (int t = 0; t < tokens; t++) {
                            for (int o = 0; o < rows; o++) {
                                double expected = 0;
                                for (int i = 0; i < cols; i++) {
                                    expected += (double) HalfFloat.bf16ToFloat(bf[o * cols + i]) * HalfFloat.bf16ToFloat(x[t * cols + i]);
                                }
                                float got = HalfFloat.bf16ToFloat(y[t * rows + o]);
                                assertEquals(expected, got, 1e-2 * Math.max(1, Math.abs(expected)),
                                        "tokens " + tokens + ", token " + t + ", output " + o);
                            }
                        }
                    }
                }
            }
            short[] notSparse = bf.clone();
            notSparse[1] = notSparse[0] = notSparse[2] = HalfFloat.floatToBf16(1f);
            assertThrows(IllegalArgumentException.class, () -> SparseCoreMatmul.load(handle, cuda, notSparse, rows, cols).close());
        }
    }

    /**
     * The int8 plan: weights symmetric int8 with one scale per output row (cuSPARSELt's alpha vector), activations
     * quantized per token on the device, against the same quantization done here in Java and a double-precision
     * product of the dequantized operands. e4m3 is refused below compute capability 8.9.
     */
    @Test
    void int8CoreMatchesTheDequantizedProduct() {
        String reason;
        try {
            reason = whyNot();
        } catch (CudaUnavailableException e) {
            reason = e.getMessage();
        }
        assumeTrue(reason == null, "GPU test skipped: " + reason);
        Random r = new Random(23);
        int rows = 256, cols = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.05f;
        float[] dense = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        byte[] q = new byte[dense.length];
        float[] rowScale = new float[rows];
        for (int o = 0; o < rows; o++) {
            float max = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(dense[o * cols + i]));
            rowScale[o] = max / 127f;
            for (int i = 0; i < cols; i++) q[o * cols + i] = (byte) Math.rint(dense[o * cols + i] / rowScale[o]);
        }
        try (CudaContext cuda = CudaContext.open(0); CusparseLtHandle handle = CusparseLtHandle.create()) {
            CudaOps ops = new CudaOps(cuda);
            int capability = cuda.computeCapability();
            if (capability < 89) {
                assertThrows(IllegalArgumentException.class, () -> SparseCoreMatmul.load8Bit(handle, cuda,
                        SparseCoreMatmul.Operands.E4M3, q, rowScale, rows, cols, capability));
            }
            try (SparseCoreMatmul core = SparseCoreMatmul.load8Bit(handle, cuda, SparseCoreMatmul.Operands.INT8, q,
                    rowScale, rows, cols, capability)) {
                for (int tokens : new int[] {1, 8, 64}) {
                    int bucket = SparseCoreMatmul.rowsFor(SparseCoreMatmul.Operands.INT8, tokens);
                    short[] x = new short[bucket * cols];
                    for (int i = 0; i < tokens * cols; i++) x[i] = HalfFloat.floatToBf16((float) r.nextGaussian());
                    try (DeviceBuffer xb = cuda.allocate(2L * x.length); DeviceBuffer xq = cuda.allocate((long) bucket * cols);
                         DeviceBuffer sx = cuda.allocate(4L * bucket); DeviceBuffer d = cuda.allocate(2L * bucket * rows);
                         DeviceBuffer y = cuda.allocate(4L * bucket * rows)) {
                        xb.upload(x);
                        ops.quantizeRows(xq, sx, xb, tokens, cols, SparseCoreMatmul.Operands.INT8);
                        core.multiply(xq, d, tokens);
                        ops.scaleRows(y, d, sx, tokens, rows);
                        float[] got = new float[bucket * rows];
                        y.download(got);
                        float[] gotScales = new float[bucket];
                        sx.download(gotScales);
                        for (int t = 0; t < tokens; t++) {
                            float max = 0;
                            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(HalfFloat.bf16ToFloat(x[t * cols + i])));
                            float scale = max > 0 ? max / 127f : 1f, inv = 1f / scale;
                            assertEquals(scale, gotScales[t], "token " + t + "'s activation scale");
                            for (int o = 0; o < rows; o++) {
                                double acc = 0;
                                for (int i = 0; i < cols; i++) {
                                    float xi = HalfFloat.bf16ToFloat(x[t * cols + i]) * inv;
                                    acc += (double) q[o * cols + i] * Math.max(-127, Math.min(127, Math.rint(xi)));
                                }
                                double expected = acc * rowScale[o] * scale;
                                assertEquals(expected, got[t * rows + o], 1e-2 * Math.max(1, Math.abs(expected)),
                                        "int8, tokens " + tokens + ", token " + t + ", output " + o);
                            }
                        }
                    }
                }
            }
        }
    }

    /** float → e4m3 (bias 7, no infinities, max 448), round to nearest even, saturating: the GPU test's reference. */
    static byte toE4m3(float f) {
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x80 : 0;
        double a = Math.abs((double) f);
        if (a >= 448) return (byte) (sign | 0x7E);
        if (a < 0x1p-6) {
            int m = (int) Math.rint(a / 0x1p-9); // subnormals: steps of 2^-9; m = 8 is the smallest normal
            return (byte) (sign | m);
        }
        int e = Math.getExponent(a);
        int m = (int) Math.rint((a / Math.scalb(1.0, e) - 1) * 8);
        if (m == 8) {
            e++;
            m = 0;
        }
        int field = e + 7;
        if (field > 15 || (field == 15 && m == 7)) return (byte) (sign | 0x7E);
        return (byte) (sign | field << 3 | m);
    }

    static double fromE4m3(byte b) {
        int field = (b >> 3) & 15, m = b & 7;
        double v = field == 0 ? m * 0x1p-9 : (1 + m / 8.0) * Math.scalb(1.0, field - 7);
        return b < 0 ? -v : v;
    }

    /** The reference encoder on values worked out by hand from the e4m3 layout (runs without a GPU). */
    @Test
    void e4m3ReferenceEncoder() {
        assertEquals(0x38, toE4m3(1f));
        assertEquals(0x30, toE4m3(0.5f));
        assertEquals((byte) 0xC0, toE4m3(-2f));
        assertEquals(0x7E, toE4m3(448f));
        assertEquals(0x7E, toE4m3(1e6f));            // saturates, never NaN
        assertEquals(0x08, toE4m3(0x1p-6f));         // smallest normal
        assertEquals(0x01, toE4m3(0x1p-9f));         // smallest subnormal
        assertEquals(0x38, toE4m3(1.0625f));         // halfway between 1 and 1.125: to even
        assertEquals(0x3A, toE4m3(1.1875f));         // halfway between 1.125 and 1.25: to even
        assertEquals(0x40, toE4m3(1.96875f));        // rounds up into the next binade: 2
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7F) == 0x7F) continue;        // NaN
            assertEquals((byte) b, toE4m3((float) fromE4m3((byte) b)), "code " + b); // every finite code, −0 too
        }
    }

    /**
     * The e4m3 plan on GPUs with sparse FP8 (compute capability 8.9+): weights e4m3 with one scale per row
     * (max|w| / 448), activations quantized per token on the device, against the same quantization here and a
     * double-precision product of the dequantized operands.
     */
    @Test
    void e4m3CoreMatchesTheDequantizedProduct() {
        String reason;
        try {
            reason = whyNot();
        } catch (CudaUnavailableException e) {
            reason = e.getMessage();
        }
        assumeTrue(reason == null, "GPU test skipped: " + reason);
        Random r = new Random(29);
        int rows = 256, cols = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.05f;
        float[] dense = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        byte[] q = new byte[dense.length];
        float[] rowScale = new float[rows];
        for (int o = 0; o < rows; o++) {
            float max = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(dense[o * cols + i]));
            rowScale[o] = max / 448f;
            for (int i = 0; i < cols; i++) q[o * cols + i] = toE4m3(dense[o * cols + i] / rowScale[o]);
        }
        try (CudaContext cuda = CudaContext.open(0); CusparseLtHandle handle = CusparseLtHandle.create()) {
            int capability = cuda.computeCapability();
            assumeTrue(capability >= 89, "GPU test skipped: e4m3 2:4 needs compute capability 8.9+, this GPU is " + capability);
            CudaOps ops = new CudaOps(cuda);
            try (SparseCoreMatmul core = SparseCoreMatmul.load8Bit(handle, cuda, SparseCoreMatmul.Operands.E4M3, q,
                    rowScale, rows, cols, capability)) {
                int tokens = 5, bucket = SparseCoreMatmul.rowsFor(SparseCoreMatmul.Operands.E4M3, tokens);
                short[] x = new short[bucket * cols];
                for (int i = 0; i < tokens * cols; i++) x[i] = HalfFloat.floatToBf16((float) r.nextGaussian());
                try (DeviceBuffer xb = cuda.allocate(2L * x.length); DeviceBuffer xq = cuda.allocate((long) bucket * cols);
                     DeviceBuffer sx = cuda.allocate(4L * bucket); DeviceBuffer d = cuda.allocate(2L * bucket * rows);
                     DeviceBuffer y = cuda.allocate(4L * bucket * rows)) {
                    xb.upload(x);
                    ops.quantizeRows(xq, sx, xb, tokens, cols, SparseCoreMatmul.Operands.E4M3);
                    core.multiply(xq, d, tokens);
                    ops.scaleRows(y, d, sx, tokens, rows);
                    float[] got = new float[bucket * rows];
                    y.download(got);
                    for (int t = 0; t < tokens; t++) {
                        float max = 0;
                        for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(HalfFloat.bf16ToFloat(x[t * cols + i])));
                        float scale = max / 448f, inv = 1f / scale;
                        for (int o = 0; o < rows; o++) {
                            double acc = 0, magnitude = 0;
                            for (int i = 0; i < cols; i++) {
                                double term = fromE4m3(q[o * cols + i]) * fromE4m3(toE4m3(HalfFloat.bf16ToFloat(x[t * cols + i]) * inv));
                                acc += term;
                                magnitude += Math.abs(term);
                            }
                            double expected = acc * rowScale[o] * scale;
                            // bf16 output, and an activation that rounds the other way on a tie: a few e4m3 steps
                            double tolerance = 1e-2 * Math.abs(expected) + 2e-2 * magnitude * rowScale[o] * scale / cols + 1e-3;
                            assertEquals(expected, got[t * rows + o], tolerance, "e4m3, token " + t + ", output " + o);
                        }
                    }
                }
            }
        }
    }
}
