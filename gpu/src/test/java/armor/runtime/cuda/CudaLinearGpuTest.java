package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.CusparseLtLibrary;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.Sparse24Core;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The three GPU layer kinds against y = W x (dense, 2:4) and y = A (W (B x)) (ARMOR) computed here in double from
 * the same bf16 values, within bf16 rounding of the intermediate results. Needs a GPU (8.0+), cuSPARSELt and cuBLAS.
 */
class CudaLinearGpuTest {
    private static String whyNot() {
        try {
            if (CudaDevices.list().stream().noneMatch(CudaDevices.Info::hasSparseTensorCores)) return "no GPU of compute capability 8.0+";
            CusparseLtLibrary.load();
            CublasLibrary.load();
            return null;
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    private static float[] widen(short[] bf) {
        float[] f = new float[bf.length];
        for (int i = 0; i < bf.length; i++) f[i] = HalfFloat.bf16ToFloat(bf[i]);
        return f;
    }

    /** y[t] = M x[t] for a row-major rows × cols M. */
    private static double[] product(float[] m, int rows, int cols, double[] x, int tokens) {
        double[] y = new double[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += m[r * cols + c] * x[t * cols + c];
                y[t * rows + r] = s;
            }
        }
        return y;
    }

    /** The block-diagonal matrix of row-major b × b blocks, written out densely. */
    private static float[] blockDiagonal(short[] blocks, int n, int b) {
        float[] m = new float[n * n];
        for (int k = 0; k < n / b; k++) {
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) m[(k * b + i) * n + k * b + j] = HalfFloat.bf16ToFloat(blocks[(k * b + i) * b + j]);
            }
        }
        return m;
    }

    /** A random 2:4 weight (magnitude-pruned Gaussian) as the dense bf16 matrix with zeros. */
    static short[] randomTwoFour(Random random, int rows, int cols, float scale) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian() * scale;
        float[] dense = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        short[] bf = new short[dense.length];
        for (int i = 0; i < dense.length; i++) bf[i] = HalfFloat.floatToBf16(dense[i]);
        return bf;
    }

    @Test
    void layerKindsMatchTheirDefinitions() {
        String reason = whyNot();
        assumeTrue(reason == null, () -> "GPU test skipped: " + reason);
        Random r = new Random(41);
        // A and B with different block sizes, as the pruner writes them where dimensions differ
        int out = 256, in = 384, aBlock = 64, bBlock = 32, tokens = 3, bucket = BatchBuckets.bucket(tokens);
        short[] core = randomTwoFour(r, out, in, 0.1f);
        short[] a = new short[out * aBlock], bb = new short[in * bBlock], x = new short[bucket * in];
        for (int i = 0; i < a.length; i++) a[i] = HalfFloat.floatToBf16((float) r.nextGaussian() / 8);
        for (int i = 0; i < bb.length; i++) bb[i] = HalfFloat.floatToBf16((float) r.nextGaussian() / 8);
        for (int i = 0; i < tokens * in; i++) x[i] = HalfFloat.floatToBf16((float) r.nextGaussian());
        double[] xd = new double[tokens * in];
        for (int i = 0; i < xd.length; i++) xd[i] = HalfFloat.bf16ToFloat(x[i]);
        double[] plain = product(widen(core), out, in, xd, tokens);
        double[] armor = product(blockDiagonal(a, out, aBlock), out, out,
                product(widen(core), out, in, product(blockDiagonal(bb, in, bBlock), in, in, xd, tokens), tokens), tokens);
        try (CudaContext cuda = CudaContext.open(0); CusparseLtHandle handle = CusparseLtHandle.create();
             CublasGemm gemm = new CublasGemm(cuda)) {
            CudaOps ops = new CudaOps(cuda);
            try (CudaLinear dense = new CudaLinear.Dense(cuda, gemm, core, out, in);
                 CudaLinear twoFour = new CudaLinear.TwoFour(ops, SparseCoreMatmul.load(handle, cuda, core, out, in));
                 CudaLinear arm = new CudaLinear.Armor(cuda, gemm, SparseCoreMatmul.load(handle, cuda, core, out, in), a, aBlock, bb, bBlock);
                 DeviceBuffer xb = cuda.allocate(2L * x.length); DeviceBuffer y = cuda.allocate(4L * bucket * out);
                 DeviceBuffer scratch = cuda.allocate(arm.scratchBytes(tokens))) {
                xb.upload(x);
                check(cuda, dense, xb, y, scratch, tokens, plain, 1e-3);
                check(cuda, twoFour, xb, y, scratch, tokens, plain, 1e-2); // bf16 output
                check(cuda, arm, xb, y, scratch, tokens, armor, 2e-2);     // two bf16 intermediates
            }
        }
    }

    private static void check(CudaContext cuda, CudaLinear layer, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scratch,
                              int tokens, double[] expected, double tolerance) {
        layer.forward(x, y, tokens, scratch);
        cuda.synchronize();
        float[] got = new float[BatchBuckets.bucket(tokens) * layer.outFeatures()];
        y.download(got);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], tolerance * Math.max(1, Math.abs(expected[i])), layer.kind() + " element " + i);
        }
    }
}
