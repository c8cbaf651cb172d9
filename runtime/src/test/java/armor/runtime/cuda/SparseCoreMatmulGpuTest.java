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
}
