package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.runtime.kernels.HalfFloat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Dense and block-diagonal products through cuBLAS (bf16 operands, float32 out) against the same shapes emulated
 * on the CPU in double precision. Needs a GPU (8.0+) and cuBLAS 12/13 (ARMOR_CUBLAS or a standard place).
 */
class CublasGemmGpuTest {
    private static String whyNot() {
        try {
            if (CudaDevices.list().stream().noneMatch(CudaDevices.Info::hasSparseTensorCores)) return "no GPU of compute capability 8.0+";
            CublasLibrary.load();
            return null;
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    @Test
    void denseAndBlockDiagonalProductsMatchTheCpu() {
        String reason = whyNot();
        assumeTrue(reason == null, () -> "GPU test skipped: " + reason);
        Random r = new Random(31);
        try (CudaContext cuda = CudaContext.open(0); CublasGemm gemm = new CublasGemm(cuda)) {
            int tokens = 5;
            check(cuda, gemm, r, GemmShape.dense(96, 128, tokens), 96 * 128, tokens * 128, tokens * 96);
            check(cuda, gemm, r, GemmShape.blockDiagonal(4, 32, tokens), 4 * 32 * 32, tokens * 128, tokens * 128);
        }
    }

    private static void check(CudaContext cuda, CublasGemm gemm, Random r, GemmShape shape, int aLen, int bLen, int cLen) {
        short[] a = new short[aLen], b = new short[bLen];
        float[] af = new float[aLen], bf = new float[bLen];
        for (int i = 0; i < aLen; i++) af[i] = HalfFloat.bf16ToFloat(a[i] = HalfFloat.floatToBf16((float) r.nextGaussian()));
        for (int i = 0; i < bLen; i++) bf[i] = HalfFloat.bf16ToFloat(b[i] = HalfFloat.floatToBf16((float) r.nextGaussian()));
        float[] expected = new float[cLen];
        GpuOperandsTest.gemmStridedBatched(shape, af, bf, expected);
        try (DeviceBuffer da = cuda.allocate(2L * aLen); DeviceBuffer db = cuda.allocate(2L * bLen);
             DeviceBuffer dc = cuda.allocate(4L * cLen)) {
            da.upload(a);
            db.upload(b);
            gemm.run(shape, da, CublasGemm.CUDA_R_16BF, db, CublasGemm.CUDA_R_16BF, dc, CublasGemm.CUDA_R_32F);
            cuda.synchronize();
            float[] c = new float[cLen];
            dc.download(c);
            for (int i = 0; i < cLen; i++) assertEquals(expected[i], c[i], 1e-3f * Math.max(1, Math.abs(expected[i])), shape + " element " + i);
        }
    }
}
