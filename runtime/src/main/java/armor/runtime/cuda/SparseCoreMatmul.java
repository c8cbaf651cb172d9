package armor.runtime.cuda;

import static armor.cuda.cusparseLt_h.CUDA_R_16BF;
import static armor.cuda.cusparseLt_h.CUSPARSELT_MATMUL_ALG_DEFAULT;
import static armor.cuda.cusparseLt_h.CUSPARSELT_SPARSITY_50_PERCENT;
import static armor.cuda.cusparseLt_h.CUSPARSE_COMPUTE_32F;
import static armor.cuda.cusparseLt_h.CUSPARSE_OPERATION_NON_TRANSPOSE;
import static armor.cuda.cusparseLt_h.CUSPARSE_ORDER_COL;
import static armor.cuda.cusparseLt_h.CUSPARSE_ORDER_ROW;

import armor.cuda.CusparseLtException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.cusparseLt_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * One layer's 2:4 core on the sparse tensor cores: {@code Y = W X} with W ({@code rows × cols}, bf16) compressed once
 * at load by {@code cusparseLtSpMMACompress2}, and a matmul plan per batch bucket ({@link BatchBuckets}) built on
 * first use and kept.
 *
 * <p>Layouts: W row-major; activations X and Y row-major {@code tokens × cols} and {@code tokens × rows} in bf16,
 * which cuSPARSELt sees as column-major {@code cols × bucket} and {@code rows × bucket}. Activation buffers must hold
 * a whole bucket of rows (padding rows are computed and ignored).
 */
public final class SparseCoreMatmul implements AutoCloseable {
    private static final int ALIGNMENT = 16;

    private record Plan(MemorySegment matB, MemorySegment matC, MemorySegment matmul, MemorySegment algorithm,
                        MemorySegment plan, DeviceBuffer workspace) {}

    private final CusparseLtHandle handle;
    private final CudaContext cuda;
    private final int rows, cols;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment matA;
    private final DeviceBuffer compressed;
    private final MemorySegment streams;
    private final MemorySegment alpha, beta;
    private final Map<Integer, Plan> plans = new HashMap<>();

    private SparseCoreMatmul(CusparseLtHandle handle, CudaContext cuda, int rows, int cols, short[] dense) {
        this.handle = handle;
        this.cuda = cuda;
        this.rows = rows;
        this.cols = cols;
        matA = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
        streams = arena.allocate(ValueLayout.ADDRESS);
        streams.set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(cuda.streamAddress()));
        alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        try {
            compressed = compress(dense);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private DeviceBuffer compress(short[] dense) {
        check("cusparseLtStructuredDescriptorInit", cusparseLt_h.cusparseLtStructuredDescriptorInit(handle.segment(), matA,
                rows, cols, cols, ALIGNMENT, CUDA_R_16BF(), CUSPARSE_ORDER_ROW(), CUSPARSELT_SPARSITY_50_PERCENT()));
        MemorySegment stream = MemorySegment.ofAddress(cuda.streamAddress());
        try (DeviceBuffer d = cuda.allocate(2L * dense.length); DeviceBuffer valid = cuda.allocate(4)) {
            d.upload(dense);
            check("cusparseLtSpMMAPruneCheck2", cusparseLt_h.cusparseLtSpMMAPruneCheck2(handle.segment(), matA, 1,
                    CUSPARSE_OPERATION_NON_TRANSPOSE(), ptr(d), ptr(valid), stream));
            cuda.synchronize();
            int[] flag = new int[1];
            valid.download(flag);
            if (flag[0] != 0) {
                cusparseLt_h.cusparseLtMatDescriptorDestroy(matA);
                throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " is not 2:4 sparse");
            }
            MemorySegment sizes = arena.allocate(ValueLayout.JAVA_LONG, 2);
            check("cusparseLtSpMMACompressedSize2", cusparseLt_h.cusparseLtSpMMACompressedSize2(handle.segment(), matA,
                    sizes, sizes.asSlice(8)));
            DeviceBuffer packed = cuda.allocate(sizes.getAtIndex(ValueLayout.JAVA_LONG, 0));
            try (DeviceBuffer scratch = cuda.allocate(sizes.getAtIndex(ValueLayout.JAVA_LONG, 1))) {
                check("cusparseLtSpMMACompress2", cusparseLt_h.cusparseLtSpMMACompress2(handle.segment(), matA, 1,
                        CUSPARSE_OPERATION_NON_TRANSPOSE(), ptr(d), ptr(packed), ptr(scratch), stream));
                cuda.synchronize();
            } catch (RuntimeException e) {
                packed.close();
                throw e;
            }
            return packed;
        }
    }

    /**
     * Uploads and compresses a core given as the dense bf16 matrix with zeros ({@link SparseCoreOperand#expand}).
     *
     * @throws IllegalArgumentException when the matrix is not 2:4 (checked on the device by cuSPARSELt)
     */
    public static SparseCoreMatmul load(CusparseLtHandle handle, CudaContext cuda, short[] denseBf16, int rows, int cols) {
        if (denseBf16.length != (long) rows * cols) {
            throw new IllegalArgumentException("2:4 core: " + denseBf16.length + " values for " + rows + "×" + cols);
        }
        return new SparseCoreMatmul(handle, cuda, rows, cols, denseBf16);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Queues y = W x for {@code tokens} rows; x and y (bf16) must hold {@link BatchBuckets#bucket}(tokens) rows. */
    public void multiply(DeviceBuffer x, DeviceBuffer y, int tokens) {
        int bucket = BatchBuckets.bucket(tokens);
        if (x.bytes() < 2L * bucket * cols || y.bytes() < 2L * bucket * rows) {
            throw new IllegalArgumentException("activation buffers must hold " + bucket + " rows (bucket of " + tokens + ")");
        }
        Plan p = plans.computeIfAbsent(bucket, this::plan);
        check("cusparseLtMatmul", cusparseLt_h.cusparseLtMatmul(handle.segment(), p.plan(), alpha, ptr(compressed),
                ptr(x), beta, ptr(y), ptr(y), p.workspace() == null ? MemorySegment.NULL : ptr(p.workspace()), streams, 1));
    }

    private Plan plan(int bucket) {
        MemorySegment matB = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
        MemorySegment matC = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
        MemorySegment matmul = cusparseLt_h.cusparseLtMatmulDescriptor_t.allocate(arena);
        MemorySegment algorithm = cusparseLt_h.cusparseLtMatmulAlgSelection_t.allocate(arena);
        MemorySegment plan = cusparseLt_h.cusparseLtMatmulPlan_t.allocate(arena);
        MemorySegment h = handle.segment();
        check("cusparseLtDenseDescriptorInit", cusparseLt_h.cusparseLtDenseDescriptorInit(h, matB, cols, bucket, cols,
                ALIGNMENT, CUDA_R_16BF(), CUSPARSE_ORDER_COL()));
        check("cusparseLtDenseDescriptorInit", cusparseLt_h.cusparseLtDenseDescriptorInit(h, matC, rows, bucket, rows,
                ALIGNMENT, CUDA_R_16BF(), CUSPARSE_ORDER_COL()));
        check("cusparseLtMatmulDescriptorInit", cusparseLt_h.cusparseLtMatmulDescriptorInit(h, matmul,
                CUSPARSE_OPERATION_NON_TRANSPOSE(), CUSPARSE_OPERATION_NON_TRANSPOSE(), matA, matB, matC, matC,
                CUSPARSE_COMPUTE_32F()));
        check("cusparseLtMatmulAlgSelectionInit", cusparseLt_h.cusparseLtMatmulAlgSelectionInit(h, algorithm, matmul,
                CUSPARSELT_MATMUL_ALG_DEFAULT()));
        check("cusparseLtMatmulPlanInit", cusparseLt_h.cusparseLtMatmulPlanInit(h, plan, matmul, algorithm));
        MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
        check("cusparseLtMatmulGetWorkspace", cusparseLt_h.cusparseLtMatmulGetWorkspace(h, plan, size));
        long bytes = size.get(ValueLayout.JAVA_LONG, 0);
        return new Plan(matB, matC, matmul, algorithm, plan, bytes == 0 ? null : cuda.allocate(bytes));
    }

    private static MemorySegment ptr(DeviceBuffer b) {
        return MemorySegment.ofAddress(b.address());
    }

    private static void check(String call, int status) {
        CusparseLtException.check(call, status);
    }

    @Override
    public void close() {
        for (Plan p : plans.values()) {
            cusparseLt_h.cusparseLtMatmulPlanDestroy(p.plan());
            cusparseLt_h.cusparseLtMatmulAlgSelectionDestroy(p.algorithm());
            cusparseLt_h.cusparseLtMatDescriptorDestroy(p.matB());
            cusparseLt_h.cusparseLtMatDescriptorDestroy(p.matC());
            if (p.workspace() != null) p.workspace().close();
        }
        plans.clear();
        cusparseLt_h.cusparseLtMatDescriptorDestroy(matA);
        compressed.close();
        arena.close();
    }
}
