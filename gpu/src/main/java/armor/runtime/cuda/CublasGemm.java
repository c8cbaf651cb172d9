package armor.runtime.cuda;

import armor.cuda.CudaUnavailableException;
import armor.cuda.cublas_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A cuBLAS handle on a {@link CudaContext}'s stream that runs {@link GemmShape}s: {@code C = op(A) B} with float32
 * accumulation ({@code CUBLAS_COMPUTE_32F}), operand types as given (bf16 weights and activations, float32 or bf16
 * out).
 */
public final class CublasGemm implements AutoCloseable {
    /** {@code cudaDataType} values (library_types.h). */
    public static final int CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment alpha, beta;

    public CublasGemm(CudaContext cuda) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int status = cublas_h.cublasCreate_v2(out);
        if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) {
            arena.close();
            throw new CudaUnavailableException("cublasCreate_v2 failed with " + name(status));
        }
        handle = out.get(ValueLayout.ADDRESS, 0);
        check("cublasSetStream_v2", cublas_h.cublasSetStream_v2(handle, MemorySegment.ofAddress(cuda.streamAddress())));
        alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
    }

    /** Queues C = op(A) B for the shape; A, B, C are device addresses with their cudaDataType. */
    public void run(GemmShape s, DeviceBuffer a, int aType, DeviceBuffer b, int bType, DeviceBuffer c, int cType) {
        int opA = s.transA() ? cublas_h.CUBLAS_OP_T() : cublas_h.CUBLAS_OP_N();
        int opB = s.transB() ? cublas_h.CUBLAS_OP_T() : cublas_h.CUBLAS_OP_N();
        MemorySegment pa = MemorySegment.ofAddress(a.address());
        MemorySegment pb = MemorySegment.ofAddress(b.address());
        MemorySegment pc = MemorySegment.ofAddress(c.address());
        if (s.batchCount() == 1) {
            check("cublasGemmEx", cublas_h.cublasGemmEx(handle, opA, opB, s.m(), s.n(), s.k(), alpha, pa, aType, s.lda(),
                    pb, bType, s.ldb(), beta, pc, cType, s.ldc(), cublas_h.CUBLAS_COMPUTE_32F(), cublas_h.CUBLAS_GEMM_DEFAULT()));
        } else {
            check("cublasGemmStridedBatchedEx", cublas_h.cublasGemmStridedBatchedEx(handle, opA, opB, s.m(), s.n(), s.k(),
                    alpha, pa, aType, s.lda(), s.strideA(), pb, bType, s.ldb(), s.strideB(), beta, pc, cType, s.ldc(),
                    s.strideC(), s.batchCount(), cublas_h.CUBLAS_COMPUTE_32F(), cublas_h.CUBLAS_GEMM_DEFAULT()));
        }
    }

    private static String name(int status) {
        return cublas_h.cublasGetStatusName(status).reinterpret(128).getString(0);
    }

    private static void check(String call, int status) {
        if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) throw new IllegalStateException(call + " failed: " + name(status));
    }

    @Override
    public void close() {
        cublas_h.cublasDestroy_v2(handle);
        arena.close();
    }
}
