package armor.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM bindings for the part of {@code cublas_api.h} the GPU path needs (handle, stream, version, status strings,
 * {@code cublasGemmEx} for dense layers and {@code cublasGemmStridedBatchedEx} for ARMOR's block-diagonal A and B),
 * jextract style as {@link cusparseLt_h}. These signatures and constants are the same in cuBLAS 12 and 13, so the
 * binding accepts either ({@link CublasLibrary}); JCuda's jcublas would tie the program to libcublas.so.12.
 */
@SuppressWarnings({"unused", "checkstyle:MethodName"})
public final class cublas_h {
    private cublas_h() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout C_POINTER = ValueLayout.ADDRESS;

    // cublasStatus_t
    public static int CUBLAS_STATUS_SUCCESS() {
        return 0;
    }

    public static int CUBLAS_STATUS_NOT_INITIALIZED() {
        return 1;
    }

    public static int CUBLAS_STATUS_INVALID_VALUE() {
        return 7;
    }

    // cublasOperation_t
    public static int CUBLAS_OP_N() {
        return 0;
    }

    public static int CUBLAS_OP_T() {
        return 1;
    }

    // cublasGemmAlgo_t
    public static int CUBLAS_GEMM_DEFAULT() {
        return -1;
    }

    // cublasComputeType_t
    public static int CUBLAS_COMPUTE_32F() {
        return 68;
    }

    // ---------------------------------------------------------------------------------------------------------

    private static MethodHandle downcallHandle(String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(CublasLibrary.load().find(name), descriptor);
    }

    private static RuntimeException rethrow(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CudaUnavailableException e) return e;
        }
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("cuBLAS downcall failed: " + t, t);
    }

    private static final class cublasCreate_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasCreate_v2", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasCreate_v2(cublasHandle_t* handle); } */
    public static FunctionDescriptor cublasCreate_v2$descriptor() {
        return cublasCreate_v2.DESC;
    }

    public static int cublasCreate_v2(MemorySegment handle) {
        try {
            return (int) cublasCreate_v2.Bound.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasDestroy_v2", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasDestroy_v2(cublasHandle_t handle); } */
    public static FunctionDescriptor cublasDestroy_v2$descriptor() {
        return cublasDestroy_v2.DESC;
    }

    public static int cublasDestroy_v2(MemorySegment handle) {
        try {
            return (int) cublasDestroy_v2.Bound.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGetVersion_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGetVersion_v2", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version); } */
    public static FunctionDescriptor cublasGetVersion_v2$descriptor() {
        return cublasGetVersion_v2.DESC;
    }

    public static int cublasGetVersion_v2(MemorySegment handle, MemorySegment version) {
        try {
            return (int) cublasGetVersion_v2.Bound.HANDLE.invokeExact(handle, version);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGetProperty {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGetProperty", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value); } */
    public static FunctionDescriptor cublasGetProperty$descriptor() {
        return cublasGetProperty.DESC;
    }

    public static int cublasGetProperty(int type, MemorySegment value) {
        try {
            return (int) cublasGetProperty.Bound.HANDLE.invokeExact(type, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasSetStream_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasSetStream_v2", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId); } */
    public static FunctionDescriptor cublasSetStream_v2$descriptor() {
        return cublasSetStream_v2.DESC;
    }

    public static int cublasSetStream_v2(MemorySegment handle, MemorySegment streamId) {
        try {
            return (int) cublasSetStream_v2.Bound.HANDLE.invokeExact(handle, streamId);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGetStatusName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGetStatusName", DESC);
        }
    }

    /** {@snippet lang=c : const char* cublasGetStatusName(cublasStatus_t status); } */
    public static FunctionDescriptor cublasGetStatusName$descriptor() {
        return cublasGetStatusName.DESC;
    }

    public static MemorySegment cublasGetStatusName(int status) {
        try {
            return (MemorySegment) cublasGetStatusName.Bound.HANDLE.invokeExact(status);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGetStatusString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGetStatusString", DESC);
        }
    }

    /** {@snippet lang=c : const char* cublasGetStatusString(cublasStatus_t status); } */
    public static FunctionDescriptor cublasGetStatusString$descriptor() {
        return cublasGetStatusString.DESC;
    }

    public static MemorySegment cublasGetStatusString(int status) {
        try {
            return (MemorySegment) cublasGetStatusString.Bound.HANDLE.invokeExact(status);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGemmEx {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGemmEx", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, const void* B, cudaDataType Btype, int ldb, const void* beta, void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo); } */
    public static FunctionDescriptor cublasGemmEx$descriptor() {
        return cublasGemmEx.DESC;
    }

    public static int cublasGemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, MemorySegment A, int Atype, int lda, MemorySegment B, int Btype, int ldb, MemorySegment beta, MemorySegment C, int Ctype, int ldc, int computeType, int algo) {
        try {
            return (int) cublasGemmEx.Bound.HANDLE.invokeExact(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cublasGemmStridedBatchedEx {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_LONG, C_POINTER, C_INT, C_INT, C_LONG, C_POINTER, C_POINTER, C_INT, C_INT, C_LONG, C_INT, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cublasGemmStridedBatchedEx", DESC);
        }
    }

    /** {@snippet lang=c : cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA, const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo); } */
    public static FunctionDescriptor cublasGemmStridedBatchedEx$descriptor() {
        return cublasGemmStridedBatchedEx.DESC;
    }

    public static int cublasGemmStridedBatchedEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, MemorySegment A, int Atype, int lda, long strideA, MemorySegment B, int Btype, int ldb, long strideB, MemorySegment beta, MemorySegment C, int Ctype, int ldc, long strideC, int batchCount, int computeType, int algo) {
        try {
            return (int) cublasGemmStridedBatchedEx.Bound.HANDLE.invokeExact(handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
