package armor.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM bindings for {@code cusparseLt.h} of cuSPARSELt 0.8.x, in the style of jextract's output: one nested class
 * per function holding its {@link FunctionDescriptor} and, bound on first use, its downcall handle; a static method
 * of the function's name that calls it; {@code NAME$descriptor()} / {@code NAME$handle()} accessors; enum
 * constants as static methods; the opaque structs as nested classes with {@code layout()}, {@code sizeof()} and
 * {@code allocate(...)}.
 *
 * <p>Written against the 0.8.1 header (checked by {@code CusparseLtHeaderTest} when the header is given). The
 * opaque struct sizes and several enum values differ between cuSPARSELt releases, which is why the library is
 * only accepted at version 0.8.x ({@link CusparseLtLibrary#load()}). Downcall handles bind against the library
 * {@link CusparseLtLibrary#load()} found; calling a function before a successful load loads it then, and throws
 * {@link CudaUnavailableException} when no usable library exists.
 *
 * <p>Constants from the headers cusparseLt.h includes ({@code cusparse.h}: status, order, operation;
 * {@code library_types.h}: data types, library properties) are here too, with the values of CUDA 12/13.
 */
@SuppressWarnings({"unused", "checkstyle:MethodName"})
public final class cusparseLt_h {
    private cusparseLt_h() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** {@code size_t}: 64 bits on the platforms CUDA supports. */
    public static final ValueLayout.OfLong C_SIZE_T = ValueLayout.JAVA_LONG;
    public static final ValueLayout C_POINTER = ValueLayout.ADDRESS;

    // Version this binding was written for (the header's CUSPARSELT_VER_* macros).
    public static int CUSPARSELT_VER_MAJOR() {
        return 0;
    }

    public static int CUSPARSELT_VER_MINOR() {
        return 8;
    }

    public static int CUSPARSELT_VER_PATCH() {
        return 1;
    }

    public static int CUSPARSELT_VER_BUILD() {
        return 1;
    }

    public static int CUSPARSELT_VERSION() {
        return CUSPARSELT_VER_MAJOR() * 1000 + CUSPARSELT_VER_MINOR() * 100 + CUSPARSELT_VER_PATCH();
    }

    // cusparseStatus_t (cusparse.h)
    public static int CUSPARSE_STATUS_SUCCESS() {
        return 0;
    }

    public static int CUSPARSE_STATUS_NOT_INITIALIZED() {
        return 1;
    }

    public static int CUSPARSE_STATUS_ALLOC_FAILED() {
        return 2;
    }

    public static int CUSPARSE_STATUS_INVALID_VALUE() {
        return 3;
    }

    public static int CUSPARSE_STATUS_ARCH_MISMATCH() {
        return 4;
    }

    public static int CUSPARSE_STATUS_EXECUTION_FAILED() {
        return 6;
    }

    public static int CUSPARSE_STATUS_INTERNAL_ERROR() {
        return 7;
    }

    public static int CUSPARSE_STATUS_NOT_SUPPORTED() {
        return 10;
    }

    public static int CUSPARSE_STATUS_INSUFFICIENT_RESOURCES() {
        return 11;
    }

    // cusparseOrder_t (cusparse.h)
    public static int CUSPARSE_ORDER_COL() {
        return 1;
    }

    public static int CUSPARSE_ORDER_ROW() {
        return 2;
    }

    // cusparseOperation_t (cusparse.h)
    public static int CUSPARSE_OPERATION_NON_TRANSPOSE() {
        return 0;
    }

    public static int CUSPARSE_OPERATION_TRANSPOSE() {
        return 1;
    }

    // cudaDataType (library_types.h)
    public static int CUDA_R_32F() {
        return 0;
    }

    public static int CUDA_R_16F() {
        return 2;
    }

    public static int CUDA_R_8I() {
        return 3;
    }

    public static int CUDA_R_32I() {
        return 10;
    }

    public static int CUDA_R_16BF() {
        return 14;
    }

    /** FP8 e4m3 (CUDA 11.8+); cuSPARSELt's 2:4 e4m3 kernels need compute capability 8.9 or newer. */
    public static int CUDA_R_8F_E4M3() {
        return 28;
    }

    // libraryPropertyType (library_types.h)
    public static int MAJOR_VERSION() {
        return 0;
    }

    public static int MINOR_VERSION() {
        return 1;
    }

    public static int PATCH_LEVEL() {
        return 2;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Opaque structures: caller-allocated, 16-byte aligned byte arrays whose size is part of the ABI.

    private static GroupLayout opaque(String name) {
        return MemoryLayout.structLayout(MemoryLayout.sequenceLayout(512, ValueLayout.JAVA_BYTE).withName("data"))
                .withByteAlignment(16)
                .withName(name);
    }

    /** {@snippet lang=c : typedef struct { alignas(16) uint8_t data[512]; } cusparseLtHandle_t; } */
    public static final class cusparseLtHandle_t {
        private static final GroupLayout LAYOUT = opaque("cusparseLtHandle_t");

        private cusparseLtHandle_t() {}

        public static GroupLayout layout() {
            return LAYOUT;
        }

        public static long sizeof() {
            return LAYOUT.byteSize();
        }

        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(LAYOUT);
        }
    }

    /** {@snippet lang=c : typedef struct { alignas(16) uint8_t data[512]; } cusparseLtMatDescriptor_t; } */
    public static final class cusparseLtMatDescriptor_t {
        private static final GroupLayout LAYOUT = opaque("cusparseLtMatDescriptor_t");

        private cusparseLtMatDescriptor_t() {}

        public static GroupLayout layout() {
            return LAYOUT;
        }

        public static long sizeof() {
            return LAYOUT.byteSize();
        }

        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(LAYOUT);
        }
    }

    /** {@snippet lang=c : typedef struct { alignas(16) uint8_t data[512]; } cusparseLtMatmulDescriptor_t; } */
    public static final class cusparseLtMatmulDescriptor_t {
        private static final GroupLayout LAYOUT = opaque("cusparseLtMatmulDescriptor_t");

        private cusparseLtMatmulDescriptor_t() {}

        public static GroupLayout layout() {
            return LAYOUT;
        }

        public static long sizeof() {
            return LAYOUT.byteSize();
        }

        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(LAYOUT);
        }
    }

    /** {@snippet lang=c : typedef struct { alignas(16) uint8_t data[512]; } cusparseLtMatmulAlgSelection_t; } */
    public static final class cusparseLtMatmulAlgSelection_t {
        private static final GroupLayout LAYOUT = opaque("cusparseLtMatmulAlgSelection_t");

        private cusparseLtMatmulAlgSelection_t() {}

        public static GroupLayout layout() {
            return LAYOUT;
        }

        public static long sizeof() {
            return LAYOUT.byteSize();
        }

        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(LAYOUT);
        }
    }

    /** {@snippet lang=c : typedef struct { alignas(16) uint8_t data[512]; } cusparseLtMatmulPlan_t; } */
    public static final class cusparseLtMatmulPlan_t {
        private static final GroupLayout LAYOUT = opaque("cusparseLtMatmulPlan_t");

        private cusparseLtMatmulPlan_t() {}

        public static GroupLayout layout() {
            return LAYOUT;
        }

        public static long sizeof() {
            return LAYOUT.byteSize();
        }

        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(LAYOUT);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Binding machinery.

    private static MethodHandle downcallHandle(String name, FunctionDescriptor descriptor) {
        MemorySegment address = CusparseLtLibrary.load().find(name);
        return Linker.nativeLinker().downcallHandle(address, descriptor);
    }

    /**
     * Turns what a downcall threw into an unchecked exception. A failed library load surfaces first as an
     * {@link ExceptionInInitializerError} and later as a {@link NoClassDefFoundError} of the holder class; both
     * are unwrapped to the {@link CudaUnavailableException} that says why.
     */
    private static RuntimeException rethrow(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CudaUnavailableException e) return e;
        }
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("cuSPARSELt downcall failed: " + t, t);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Enums of cusparseLt.h.

    // cusparseLtSparsity_t
    public static int CUSPARSELT_SPARSITY_50_PERCENT() {
        return 0;
    }


    // cusparseLtMatDescAttribute_t
    public static int CUSPARSELT_MAT_NUM_BATCHES() {
        return 0;
    }

    public static int CUSPARSELT_MAT_BATCH_STRIDE() {
        return 1;
    }


    // cusparseComputeType
    public static int CUSPARSE_COMPUTE_32I() {
        return 0;
    }

    public static int CUSPARSE_COMPUTE_16F() {
        return 1;
    }

    public static int CUSPARSE_COMPUTE_32F() {
        return 2;
    }


    // cusparseLtMatmulDescAttribute_t
    public static int CUSPARSELT_MATMUL_ACTIVATION_RELU() {
        return 0;
    }

    public static int CUSPARSELT_MATMUL_ACTIVATION_RELU_UPPERBOUND() {
        return 1;
    }

    public static int CUSPARSELT_MATMUL_ACTIVATION_RELU_THRESHOLD() {
        return 2;
    }

    public static int CUSPARSELT_MATMUL_ACTIVATION_GELU() {
        return 3;
    }

    public static int CUSPARSELT_MATMUL_ACTIVATION_GELU_SCALING() {
        return 4;
    }

    public static int CUSPARSELT_MATMUL_ALPHA_VECTOR_SCALING() {
        return 5;
    }

    public static int CUSPARSELT_MATMUL_BETA_VECTOR_SCALING() {
        return 6;
    }

    public static int CUSPARSELT_MATMUL_BIAS_STRIDE() {
        return 7;
    }

    public static int CUSPARSELT_MATMUL_BIAS_POINTER() {
        return 8;
    }

    public static int CUSPARSELT_MATMUL_SPARSE_MAT_POINTER() {
        return 9;
    }

    public static int CUSPARSELT_MATMUL_A_SCALE_MODE() {
        return 10;
    }

    public static int CUSPARSELT_MATMUL_B_SCALE_MODE() {
        return 11;
    }

    public static int CUSPARSELT_MATMUL_C_SCALE_MODE() {
        return 12;
    }

    public static int CUSPARSELT_MATMUL_D_SCALE_MODE() {
        return 13;
    }

    public static int CUSPARSELT_MATMUL_D_OUT_SCALE_MODE() {
        return 14;
    }

    public static int CUSPARSELT_MATMUL_A_SCALE_POINTER() {
        return 15;
    }

    public static int CUSPARSELT_MATMUL_B_SCALE_POINTER() {
        return 16;
    }

    public static int CUSPARSELT_MATMUL_C_SCALE_POINTER() {
        return 17;
    }

    public static int CUSPARSELT_MATMUL_D_SCALE_POINTER() {
        return 18;
    }

    public static int CUSPARSELT_MATMUL_D_OUT_SCALE_POINTER() {
        return 19;
    }


    // cusparseLtMatmulMatrixScale_t
    public static int CUSPARSELT_MATMUL_SCALE_NONE() {
        return 0;
    }

    public static int CUSPARSELT_MATMUL_MATRIX_SCALE_SCALAR_32F() {
        return 1;
    }

    public static int CUSPARSELT_MATMUL_MATRIX_SCALE_VEC32_UE4M3() {
        return 2;
    }

    public static int CUSPARSELT_MATMUL_MATRIX_SCALE_VEC64_UE8M0() {
        return 3;
    }


    // cusparseLtMatmulAlg_t
    public static int CUSPARSELT_MATMUL_ALG_DEFAULT() {
        return 0;
    }


    // cusparseLtMatmulAlgAttribute_t
    public static int CUSPARSELT_MATMUL_ALG_CONFIG_ID() {
        return 0;
    }

    public static int CUSPARSELT_MATMUL_ALG_CONFIG_MAX_ID() {
        return 1;
    }

    public static int CUSPARSELT_MATMUL_SEARCH_ITERATIONS() {
        return 2;
    }

    public static int CUSPARSELT_MATMUL_SPLIT_K() {
        return 3;
    }

    public static int CUSPARSELT_MATMUL_SPLIT_K_MODE() {
        return 4;
    }

    public static int CUSPARSELT_MATMUL_SPLIT_K_BUFFERS() {
        return 5;
    }


    // cusparseLtSplitKMode_t
    public static int CUSPARSELT_INVALID_MODE() {
        return 0;
    }

    public static int CUSPARSELT_SPLIT_K_MODE_ONE_KERNEL() {
        return 1;
    }

    public static int CUSPARSELT_SPLIT_K_MODE_TWO_KERNELS() {
        return 2;
    }

    public static int CUSPARSELT_HEURISTIC() {
        return 3;
    }

    public static int CUSPARSELT_DATAPARALLEL() {
        return 4;
    }

    public static int CUSPARSELT_SPLITK() {
        return 5;
    }

    public static int CUSPARSELT_STREAMK() {
        return 6;
    }


    // cusparseLtPruneAlg_t
    public static int CUSPARSELT_PRUNE_SPMMA_TILE() {
        return 0;
    }

    public static int CUSPARSELT_PRUNE_SPMMA_STRIP() {
        return 1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Functions of cusparseLt.h, in header order.

    private static final class cusparseLtInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtInit(cusparseLtHandle_t* handle); } */
    public static FunctionDescriptor cusparseLtInit$descriptor() {
        return cusparseLtInit.DESC;
    }

    public static MethodHandle cusparseLtInit$handle() {
        return cusparseLtInit.Bound.HANDLE;
    }

    public static int cusparseLtInit(MemorySegment handle) {
        try {
            return (int) cusparseLtInit.Bound.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtDestroy", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtDestroy(const cusparseLtHandle_t* handle); } */
    public static FunctionDescriptor cusparseLtDestroy$descriptor() {
        return cusparseLtDestroy.DESC;
    }

    public static MethodHandle cusparseLtDestroy$handle() {
        return cusparseLtDestroy.Bound.HANDLE;
    }

    public static int cusparseLtDestroy(MemorySegment handle) {
        try {
            return (int) cusparseLtDestroy.Bound.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtGetVersion", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtGetVersion(const cusparseLtHandle_t* handle, int* version); } */
    public static FunctionDescriptor cusparseLtGetVersion$descriptor() {
        return cusparseLtGetVersion.DESC;
    }

    public static MethodHandle cusparseLtGetVersion$handle() {
        return cusparseLtGetVersion.Bound.HANDLE;
    }

    public static int cusparseLtGetVersion(MemorySegment handle, MemorySegment version) {
        try {
            return (int) cusparseLtGetVersion.Bound.HANDLE.invokeExact(handle, version);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtGetProperty {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtGetProperty", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtGetProperty(libraryPropertyType propertyType, int* value); } */
    public static FunctionDescriptor cusparseLtGetProperty$descriptor() {
        return cusparseLtGetProperty.DESC;
    }

    public static MethodHandle cusparseLtGetProperty$handle() {
        return cusparseLtGetProperty.Bound.HANDLE;
    }

    public static int cusparseLtGetProperty(int propertyType, MemorySegment value) {
        try {
            return (int) cusparseLtGetProperty.Bound.HANDLE.invokeExact(propertyType, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtGetErrorName", DESC);
        }
    }

    /** {@snippet lang=c : const char* cusparseLtGetErrorName(cusparseStatus_t status); } */
    public static FunctionDescriptor cusparseLtGetErrorName$descriptor() {
        return cusparseLtGetErrorName.DESC;
    }

    public static MethodHandle cusparseLtGetErrorName$handle() {
        return cusparseLtGetErrorName.Bound.HANDLE;
    }

    public static MemorySegment cusparseLtGetErrorName(int status) {
        try {
            return (MemorySegment) cusparseLtGetErrorName.Bound.HANDLE.invokeExact(status);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtGetErrorString", DESC);
        }
    }

    /** {@snippet lang=c : const char* cusparseLtGetErrorString(cusparseStatus_t status); } */
    public static FunctionDescriptor cusparseLtGetErrorString$descriptor() {
        return cusparseLtGetErrorString.DESC;
    }

    public static MethodHandle cusparseLtGetErrorString$handle() {
        return cusparseLtGetErrorString.Bound.HANDLE;
    }

    public static MemorySegment cusparseLtGetErrorString(int status) {
        try {
            return (MemorySegment) cusparseLtGetErrorString.Bound.HANDLE.invokeExact(status);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtDenseDescriptorInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_LONG, C_LONG, C_LONG, C_INT, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtDenseDescriptorInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtDenseDescriptorInit(const cusparseLtHandle_t* handle, cusparseLtMatDescriptor_t* matDescr, int64_t rows, int64_t cols, int64_t ld, uint32_t alignment, cudaDataType valueType, cusparseOrder_t order); } */
    public static FunctionDescriptor cusparseLtDenseDescriptorInit$descriptor() {
        return cusparseLtDenseDescriptorInit.DESC;
    }

    public static MethodHandle cusparseLtDenseDescriptorInit$handle() {
        return cusparseLtDenseDescriptorInit.Bound.HANDLE;
    }

    public static int cusparseLtDenseDescriptorInit(MemorySegment handle, MemorySegment matDescr, long rows, long cols, long ld, int alignment, int valueType, int order) {
        try {
            return (int) cusparseLtDenseDescriptorInit.Bound.HANDLE.invokeExact(handle, matDescr, rows, cols, ld, alignment, valueType, order);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtStructuredDescriptorInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_LONG, C_LONG, C_LONG, C_INT, C_INT, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtStructuredDescriptorInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtStructuredDescriptorInit(const cusparseLtHandle_t* handle, cusparseLtMatDescriptor_t* matDescr, int64_t rows, int64_t cols, int64_t ld, uint32_t alignment, cudaDataType valueType, cusparseOrder_t order, cusparseLtSparsity_t sparsity); } */
    public static FunctionDescriptor cusparseLtStructuredDescriptorInit$descriptor() {
        return cusparseLtStructuredDescriptorInit.DESC;
    }

    public static MethodHandle cusparseLtStructuredDescriptorInit$handle() {
        return cusparseLtStructuredDescriptorInit.Bound.HANDLE;
    }

    public static int cusparseLtStructuredDescriptorInit(MemorySegment handle, MemorySegment matDescr, long rows, long cols, long ld, int alignment, int valueType, int order, int sparsity) {
        try {
            return (int) cusparseLtStructuredDescriptorInit.Bound.HANDLE.invokeExact(handle, matDescr, rows, cols, ld, alignment, valueType, order, sparsity);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatDescriptorDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatDescriptorDestroy", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatDescriptorDestroy(const cusparseLtMatDescriptor_t* matDescr); } */
    public static FunctionDescriptor cusparseLtMatDescriptorDestroy$descriptor() {
        return cusparseLtMatDescriptorDestroy.DESC;
    }

    public static MethodHandle cusparseLtMatDescriptorDestroy$handle() {
        return cusparseLtMatDescriptorDestroy.Bound.HANDLE;
    }

    public static int cusparseLtMatDescriptorDestroy(MemorySegment matDescr) {
        try {
            return (int) cusparseLtMatDescriptorDestroy.Bound.HANDLE.invokeExact(matDescr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatDescSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatDescSetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatDescSetAttribute(const cusparseLtHandle_t* handle, cusparseLtMatDescriptor_t* matmulDescr, cusparseLtMatDescAttribute_t matAttribute, const void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatDescSetAttribute$descriptor() {
        return cusparseLtMatDescSetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatDescSetAttribute$handle() {
        return cusparseLtMatDescSetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatDescSetAttribute(MemorySegment handle, MemorySegment matmulDescr, int matAttribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatDescSetAttribute.Bound.HANDLE.invokeExact(handle, matmulDescr, matAttribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatDescGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatDescGetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatDescGetAttribute(const cusparseLtHandle_t* handle, const cusparseLtMatDescriptor_t* matmulDescr, cusparseLtMatDescAttribute_t matAttribute, void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatDescGetAttribute$descriptor() {
        return cusparseLtMatDescGetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatDescGetAttribute$handle() {
        return cusparseLtMatDescGetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatDescGetAttribute(MemorySegment handle, MemorySegment matmulDescr, int matAttribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatDescGetAttribute.Bound.HANDLE.invokeExact(handle, matmulDescr, matAttribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulDescriptorInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulDescriptorInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulDescriptorInit(const cusparseLtHandle_t* handle, cusparseLtMatmulDescriptor_t* matmulDescr, cusparseOperation_t opA, cusparseOperation_t opB, const cusparseLtMatDescriptor_t* matA, const cusparseLtMatDescriptor_t* matB, const cusparseLtMatDescriptor_t* matC, const cusparseLtMatDescriptor_t* matD, cusparseComputeType computeType); } */
    public static FunctionDescriptor cusparseLtMatmulDescriptorInit$descriptor() {
        return cusparseLtMatmulDescriptorInit.DESC;
    }

    public static MethodHandle cusparseLtMatmulDescriptorInit$handle() {
        return cusparseLtMatmulDescriptorInit.Bound.HANDLE;
    }

    public static int cusparseLtMatmulDescriptorInit(MemorySegment handle, MemorySegment matmulDescr, int opA, int opB, MemorySegment matA, MemorySegment matB, MemorySegment matC, MemorySegment matD, int computeType) {
        try {
            return (int) cusparseLtMatmulDescriptorInit.Bound.HANDLE.invokeExact(handle, matmulDescr, opA, opB, matA, matB, matC, matD, computeType);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulDescSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulDescSetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulDescSetAttribute(const cusparseLtHandle_t* handle, cusparseLtMatmulDescriptor_t* matmulDescr, cusparseLtMatmulDescAttribute_t matmulAttribute, const void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatmulDescSetAttribute$descriptor() {
        return cusparseLtMatmulDescSetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatmulDescSetAttribute$handle() {
        return cusparseLtMatmulDescSetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatmulDescSetAttribute(MemorySegment handle, MemorySegment matmulDescr, int matmulAttribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatmulDescSetAttribute.Bound.HANDLE.invokeExact(handle, matmulDescr, matmulAttribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulDescGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulDescGetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulDescGetAttribute(const cusparseLtHandle_t* handle, const cusparseLtMatmulDescriptor_t* matmulDescr, cusparseLtMatmulDescAttribute_t matmulAttribute, void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatmulDescGetAttribute$descriptor() {
        return cusparseLtMatmulDescGetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatmulDescGetAttribute$handle() {
        return cusparseLtMatmulDescGetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatmulDescGetAttribute(MemorySegment handle, MemorySegment matmulDescr, int matmulAttribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatmulDescGetAttribute.Bound.HANDLE.invokeExact(handle, matmulDescr, matmulAttribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulAlgSelectionInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulAlgSelectionInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulAlgSelectionInit(const cusparseLtHandle_t* handle, cusparseLtMatmulAlgSelection_t* algSelection, const cusparseLtMatmulDescriptor_t* matmulDescr, cusparseLtMatmulAlg_t alg); } */
    public static FunctionDescriptor cusparseLtMatmulAlgSelectionInit$descriptor() {
        return cusparseLtMatmulAlgSelectionInit.DESC;
    }

    public static MethodHandle cusparseLtMatmulAlgSelectionInit$handle() {
        return cusparseLtMatmulAlgSelectionInit.Bound.HANDLE;
    }

    public static int cusparseLtMatmulAlgSelectionInit(MemorySegment handle, MemorySegment algSelection, MemorySegment matmulDescr, int alg) {
        try {
            return (int) cusparseLtMatmulAlgSelectionInit.Bound.HANDLE.invokeExact(handle, algSelection, matmulDescr, alg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulAlgSelectionDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulAlgSelectionDestroy", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulAlgSelectionDestroy(const cusparseLtMatmulAlgSelection_t* algSelection); } */
    public static FunctionDescriptor cusparseLtMatmulAlgSelectionDestroy$descriptor() {
        return cusparseLtMatmulAlgSelectionDestroy.DESC;
    }

    public static MethodHandle cusparseLtMatmulAlgSelectionDestroy$handle() {
        return cusparseLtMatmulAlgSelectionDestroy.Bound.HANDLE;
    }

    public static int cusparseLtMatmulAlgSelectionDestroy(MemorySegment algSelection) {
        try {
            return (int) cusparseLtMatmulAlgSelectionDestroy.Bound.HANDLE.invokeExact(algSelection);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulAlgSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulAlgSetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulAlgSetAttribute(const cusparseLtHandle_t* handle, cusparseLtMatmulAlgSelection_t* algSelection, cusparseLtMatmulAlgAttribute_t attribute, const void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatmulAlgSetAttribute$descriptor() {
        return cusparseLtMatmulAlgSetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatmulAlgSetAttribute$handle() {
        return cusparseLtMatmulAlgSetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatmulAlgSetAttribute(MemorySegment handle, MemorySegment algSelection, int attribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatmulAlgSetAttribute.Bound.HANDLE.invokeExact(handle, algSelection, attribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulAlgGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_SIZE_T);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulAlgGetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulAlgGetAttribute(const cusparseLtHandle_t* handle, const cusparseLtMatmulAlgSelection_t* algSelection, cusparseLtMatmulAlgAttribute_t attribute, void* data, size_t dataSize); } */
    public static FunctionDescriptor cusparseLtMatmulAlgGetAttribute$descriptor() {
        return cusparseLtMatmulAlgGetAttribute.DESC;
    }

    public static MethodHandle cusparseLtMatmulAlgGetAttribute$handle() {
        return cusparseLtMatmulAlgGetAttribute.Bound.HANDLE;
    }

    public static int cusparseLtMatmulAlgGetAttribute(MemorySegment handle, MemorySegment algSelection, int attribute, MemorySegment data, long dataSize) {
        try {
            return (int) cusparseLtMatmulAlgGetAttribute.Bound.HANDLE.invokeExact(handle, algSelection, attribute, data, dataSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulGetWorkspace {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulGetWorkspace", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulGetWorkspace(const cusparseLtHandle_t* handle, const cusparseLtMatmulPlan_t* plan, size_t* workspaceSize); } */
    public static FunctionDescriptor cusparseLtMatmulGetWorkspace$descriptor() {
        return cusparseLtMatmulGetWorkspace.DESC;
    }

    public static MethodHandle cusparseLtMatmulGetWorkspace$handle() {
        return cusparseLtMatmulGetWorkspace.Bound.HANDLE;
    }

    public static int cusparseLtMatmulGetWorkspace(MemorySegment handle, MemorySegment plan, MemorySegment workspaceSize) {
        try {
            return (int) cusparseLtMatmulGetWorkspace.Bound.HANDLE.invokeExact(handle, plan, workspaceSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulPlanInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulPlanInit", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulPlanInit(const cusparseLtHandle_t* handle, cusparseLtMatmulPlan_t* plan, const cusparseLtMatmulDescriptor_t* matmulDescr, const cusparseLtMatmulAlgSelection_t* algSelection); } */
    public static FunctionDescriptor cusparseLtMatmulPlanInit$descriptor() {
        return cusparseLtMatmulPlanInit.DESC;
    }

    public static MethodHandle cusparseLtMatmulPlanInit$handle() {
        return cusparseLtMatmulPlanInit.Bound.HANDLE;
    }

    public static int cusparseLtMatmulPlanInit(MemorySegment handle, MemorySegment plan, MemorySegment matmulDescr, MemorySegment algSelection) {
        try {
            return (int) cusparseLtMatmulPlanInit.Bound.HANDLE.invokeExact(handle, plan, matmulDescr, algSelection);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulPlanDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulPlanDestroy", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulPlanDestroy(const cusparseLtMatmulPlan_t* plan); } */
    public static FunctionDescriptor cusparseLtMatmulPlanDestroy$descriptor() {
        return cusparseLtMatmulPlanDestroy.DESC;
    }

    public static MethodHandle cusparseLtMatmulPlanDestroy$handle() {
        return cusparseLtMatmulPlanDestroy.Bound.HANDLE;
    }

    public static int cusparseLtMatmulPlanDestroy(MemorySegment plan) {
        try {
            return (int) cusparseLtMatmulPlanDestroy.Bound.HANDLE.invokeExact(plan);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmul {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmul", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmul(const cusparseLtHandle_t* handle, const cusparseLtMatmulPlan_t* plan, const void* alpha, const void* d_A, const void* d_B, const void* beta, const void* d_C, void* d_D, void* workspace, cudaStream_t* streams, int32_t numStreams); } */
    public static FunctionDescriptor cusparseLtMatmul$descriptor() {
        return cusparseLtMatmul.DESC;
    }

    public static MethodHandle cusparseLtMatmul$handle() {
        return cusparseLtMatmul.Bound.HANDLE;
    }

    public static int cusparseLtMatmul(MemorySegment handle, MemorySegment plan, MemorySegment alpha, MemorySegment d_A, MemorySegment d_B, MemorySegment beta, MemorySegment d_C, MemorySegment d_D, MemorySegment workspace, MemorySegment streams, int numStreams) {
        try {
            return (int) cusparseLtMatmul.Bound.HANDLE.invokeExact(handle, plan, alpha, d_A, d_B, beta, d_C, d_D, workspace, streams, numStreams);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtMatmulSearch {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtMatmulSearch", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtMatmulSearch(const cusparseLtHandle_t* handle, cusparseLtMatmulPlan_t* plan, const void* alpha, const void* d_A, const void* d_B, const void* beta, const void* d_C, void* d_D, void* workspace, cudaStream_t* streams, int32_t numStreams); } */
    public static FunctionDescriptor cusparseLtMatmulSearch$descriptor() {
        return cusparseLtMatmulSearch.DESC;
    }

    public static MethodHandle cusparseLtMatmulSearch$handle() {
        return cusparseLtMatmulSearch.Bound.HANDLE;
    }

    public static int cusparseLtMatmulSearch(MemorySegment handle, MemorySegment plan, MemorySegment alpha, MemorySegment d_A, MemorySegment d_B, MemorySegment beta, MemorySegment d_C, MemorySegment d_D, MemorySegment workspace, MemorySegment streams, int numStreams) {
        try {
            return (int) cusparseLtMatmulSearch.Bound.HANDLE.invokeExact(handle, plan, alpha, d_A, d_B, beta, d_C, d_D, workspace, streams, numStreams);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMAPrune {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMAPrune", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMAPrune(const cusparseLtHandle_t* handle, const cusparseLtMatmulDescriptor_t* matmulDescr, const void* d_in, void* d_out, cusparseLtPruneAlg_t pruneAlg, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMAPrune$descriptor() {
        return cusparseLtSpMMAPrune.DESC;
    }

    public static MethodHandle cusparseLtSpMMAPrune$handle() {
        return cusparseLtSpMMAPrune.Bound.HANDLE;
    }

    public static int cusparseLtSpMMAPrune(MemorySegment handle, MemorySegment matmulDescr, MemorySegment d_in, MemorySegment d_out, int pruneAlg, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMAPrune.Bound.HANDLE.invokeExact(handle, matmulDescr, d_in, d_out, pruneAlg, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMAPruneCheck {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMAPruneCheck", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMAPruneCheck(const cusparseLtHandle_t* handle, const cusparseLtMatmulDescriptor_t* matmulDescr, const void* d_in, int* valid, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMAPruneCheck$descriptor() {
        return cusparseLtSpMMAPruneCheck.DESC;
    }

    public static MethodHandle cusparseLtSpMMAPruneCheck$handle() {
        return cusparseLtSpMMAPruneCheck.Bound.HANDLE;
    }

    public static int cusparseLtSpMMAPruneCheck(MemorySegment handle, MemorySegment matmulDescr, MemorySegment d_in, MemorySegment valid, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMAPruneCheck.Bound.HANDLE.invokeExact(handle, matmulDescr, d_in, valid, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMAPrune2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMAPrune2", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMAPrune2(const cusparseLtHandle_t* handle, const cusparseLtMatDescriptor_t* sparseMatDescr, int isSparseA, cusparseOperation_t op, const void* d_in, void* d_out, cusparseLtPruneAlg_t pruneAlg, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMAPrune2$descriptor() {
        return cusparseLtSpMMAPrune2.DESC;
    }

    public static MethodHandle cusparseLtSpMMAPrune2$handle() {
        return cusparseLtSpMMAPrune2.Bound.HANDLE;
    }

    public static int cusparseLtSpMMAPrune2(MemorySegment handle, MemorySegment sparseMatDescr, int isSparseA, int op, MemorySegment d_in, MemorySegment d_out, int pruneAlg, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMAPrune2.Bound.HANDLE.invokeExact(handle, sparseMatDescr, isSparseA, op, d_in, d_out, pruneAlg, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMAPruneCheck2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMAPruneCheck2", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMAPruneCheck2(const cusparseLtHandle_t* handle, const cusparseLtMatDescriptor_t* sparseMatDescr, int isSparseA, cusparseOperation_t op, const void* d_in, int* d_valid, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMAPruneCheck2$descriptor() {
        return cusparseLtSpMMAPruneCheck2.DESC;
    }

    public static MethodHandle cusparseLtSpMMAPruneCheck2$handle() {
        return cusparseLtSpMMAPruneCheck2.Bound.HANDLE;
    }

    public static int cusparseLtSpMMAPruneCheck2(MemorySegment handle, MemorySegment sparseMatDescr, int isSparseA, int op, MemorySegment d_in, MemorySegment d_valid, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMAPruneCheck2.Bound.HANDLE.invokeExact(handle, sparseMatDescr, isSparseA, op, d_in, d_valid, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMACompressedSize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMACompressedSize", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMACompressedSize(const cusparseLtHandle_t* handle, const cusparseLtMatmulPlan_t* plan, size_t* compressedSize, size_t* compressedBufferSize); } */
    public static FunctionDescriptor cusparseLtSpMMACompressedSize$descriptor() {
        return cusparseLtSpMMACompressedSize.DESC;
    }

    public static MethodHandle cusparseLtSpMMACompressedSize$handle() {
        return cusparseLtSpMMACompressedSize.Bound.HANDLE;
    }

    public static int cusparseLtSpMMACompressedSize(MemorySegment handle, MemorySegment plan, MemorySegment compressedSize, MemorySegment compressedBufferSize) {
        try {
            return (int) cusparseLtSpMMACompressedSize.Bound.HANDLE.invokeExact(handle, plan, compressedSize, compressedBufferSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMACompress {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMACompress", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMACompress(const cusparseLtHandle_t* handle, const cusparseLtMatmulPlan_t* plan, const void* d_dense, void* d_compressed, void* d_compressed_buffer, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMACompress$descriptor() {
        return cusparseLtSpMMACompress.DESC;
    }

    public static MethodHandle cusparseLtSpMMACompress$handle() {
        return cusparseLtSpMMACompress.Bound.HANDLE;
    }

    public static int cusparseLtSpMMACompress(MemorySegment handle, MemorySegment plan, MemorySegment d_dense, MemorySegment d_compressed, MemorySegment d_compressed_buffer, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMACompress.Bound.HANDLE.invokeExact(handle, plan, d_dense, d_compressed, d_compressed_buffer, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMACompressedSize2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMACompressedSize2", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMACompressedSize2(const cusparseLtHandle_t* handle, const cusparseLtMatDescriptor_t* sparseMatDescr, size_t* compressedSize, size_t* compressedBufferSize); } */
    public static FunctionDescriptor cusparseLtSpMMACompressedSize2$descriptor() {
        return cusparseLtSpMMACompressedSize2.DESC;
    }

    public static MethodHandle cusparseLtSpMMACompressedSize2$handle() {
        return cusparseLtSpMMACompressedSize2.Bound.HANDLE;
    }

    public static int cusparseLtSpMMACompressedSize2(MemorySegment handle, MemorySegment sparseMatDescr, MemorySegment compressedSize, MemorySegment compressedBufferSize) {
        try {
            return (int) cusparseLtSpMMACompressedSize2.Bound.HANDLE.invokeExact(handle, sparseMatDescr, compressedSize, compressedBufferSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
    private static final class cusparseLtSpMMACompress2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cusparseLtSpMMACompress2", DESC);
        }
    }

    /** {@snippet lang=c : cusparseStatus_t cusparseLtSpMMACompress2(const cusparseLtHandle_t* handle, const cusparseLtMatDescriptor_t* sparseMatDescr, int isSparseA, cusparseOperation_t op, const void* d_dense, void* d_compressed, void* d_compressed_buffer, cudaStream_t stream); } */
    public static FunctionDescriptor cusparseLtSpMMACompress2$descriptor() {
        return cusparseLtSpMMACompress2.DESC;
    }

    public static MethodHandle cusparseLtSpMMACompress2$handle() {
        return cusparseLtSpMMACompress2.Bound.HANDLE;
    }

    public static int cusparseLtSpMMACompress2(MemorySegment handle, MemorySegment sparseMatDescr, int isSparseA, int op, MemorySegment d_dense, MemorySegment d_compressed, MemorySegment d_compressed_buffer, MemorySegment stream) {
        try {
            return (int) cusparseLtSpMMACompress2.Bound.HANDLE.invokeExact(handle, sparseMatDescr, isSparseA, op, d_dense, d_compressed, d_compressed_buffer, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }}
