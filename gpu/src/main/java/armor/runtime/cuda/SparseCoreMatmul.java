package armor.runtime.cuda;

import static armor.cuda.cusparseLt_h.CUDA_R_16BF;
import static armor.cuda.cusparseLt_h.CUDA_R_8F_E4M3;
import static armor.cuda.cusparseLt_h.CUDA_R_8I;
import static armor.cuda.cusparseLt_h.CUSPARSELT_MATMUL_ALG_DEFAULT;
import static armor.cuda.cusparseLt_h.CUSPARSELT_MATMUL_ALPHA_VECTOR_SCALING;
import static armor.cuda.cusparseLt_h.CUSPARSELT_SPARSITY_50_PERCENT;
import static armor.cuda.cusparseLt_h.CUSPARSE_COMPUTE_32F;
import static armor.cuda.cusparseLt_h.CUSPARSE_COMPUTE_32I;
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
import java.util.Locale;
import java.util.Map;

/**
 * One layer's 2:4 core on the sparse tensor cores: {@code Y = W X} with W ({@code rows × cols}) compressed once at
 * load by {@code cusparseLtSpMMACompress2}, and a matmul plan per batch bucket ({@link #rowsFor}) built on first use
 * and kept.
 *
 * <p>Operands ({@link Operands}): bf16 W and X with float32 accumulation; or 8-bit W and X (int8 with int32
 * accumulation, or e4m3 on compute capability 8.9+) whose per-output-row weight scales are cuSPARSELt's alpha
 * vector ({@code CUSPARSELT_MATMUL_ALPHA_VECTOR_SCALING}), so {@code Y[o, t] = scale[o] · Σ W_q[o, i] X_q[i, t]};
 * the activations' per-token scales are applied after the product ({@link CudaOps#scaleRows}). Y is bf16 in every
 * case.
 *
 * <p>Layouts: W row-major; activations X and Y row-major {@code tokens × cols} and {@code tokens × rows}, which
 * cuSPARSELt sees as column-major {@code cols × bucket} and {@code rows × bucket}. Activation buffers must hold a
 * whole bucket of rows (padding rows are computed and ignored).
 *
 * <p>Shapes and alignment are checked on the host before any cuSPARSELt call ({@link #checkShape}), so a shape the
 * library does not take fails with a line naming it instead of a status code; whatever a failed load or plan set-up
 * had allocated is freed before the exception leaves.
 */
public final class SparseCoreMatmul implements AutoCloseable {
    /** Byte alignment cuSPARSELt wants of every operand's address (cuMemAlloc gives 256). */
    static final int ALIGNMENT = 16;

    /**
     * Operand type of W and X, with the size multiples cuSPARSELt's documentation asks of the structured matrix W
     * (rows and columns) and of the dense activation matrix (its rows and columns: features and bucket).
     */
    public enum Operands {
        BF16("bf16", 2, 16, 8, 80),
        INT8("int8", 1, 32, 16, 80),
        /** FP8 e4m3 (sparse FP8 tensor cores: Ada and Hopper, compute capability 8.9 and newer). */
        E4M3("e4m3", 1, 32, 16, 89);

        private final String label;
        final int bytes, structuredMultiple, denseMultiple, minCapability;

        Operands(String label, int bytes, int structuredMultiple, int denseMultiple, int minCapability) {
            this.label = label;
            this.bytes = bytes;
            this.structuredMultiple = structuredMultiple;
            this.denseMultiple = denseMultiple;
            this.minCapability = minCapability;
        }

        int cudaType() {
            return switch (this) {
                case BF16 -> CUDA_R_16BF();
                case INT8 -> CUDA_R_8I();
                case E4M3 -> CUDA_R_8F_E4M3();
            };
        }

        int computeType() {
            return this == INT8 ? CUSPARSE_COMPUTE_32I() : CUSPARSE_COMPUTE_32F();
        }

        /** Bytes per element of W and X. */
        public int bytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private record Plan(MemorySegment matB, MemorySegment matC, MemorySegment matmul, MemorySegment algorithm,
                        MemorySegment plan, DeviceBuffer workspace) {}

    private final CusparseLtHandle handle;
    private final CudaContext cuda;
    private final Operands operands;
    private final int rows, cols;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment matA;
    private final MemorySegment streams;
    private final MemorySegment hostAlpha, beta;
    private boolean matAReady;
    private DeviceBuffer compressed;
    /** The per-row weight scales for 8-bit operands (cuSPARSELt's alpha vector), else null. */
    private DeviceBuffer alphaVector;
    private final Map<Integer, Plan> plans = new HashMap<>();

    /**
     * Refuses, on the host and in one line, a core cuSPARSELt would not take: its rows and columns must be multiples
     * of 16 (bf16) or 32 (int8, e4m3).
     */
    public static void checkShape(Operands operands, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + ": empty");
        int m = operands.structuredMultiple;
        if (rows % m != 0 || cols % m != 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "2:4 core %d×%d (%s): cuSPARSELt needs rows "
                    + "and columns that are multiples of %d for %s operands", rows, cols, operands, m, operands));
        }
    }

    /** Activation rows a product of {@code tokens} tokens runs on: the bucket, at least the dense multiple. */
    public static int rowsFor(Operands operands, int tokens) {
        return Math.max(BatchBuckets.bucket(tokens), operands.denseMultiple);
    }

    private SparseCoreMatmul(CusparseLtHandle handle, CudaContext cuda, Operands operands, int rows, int cols,
                             MemorySegment dense, float[] rowScales) {
        this.handle = handle;
        this.cuda = cuda;
        this.operands = operands;
        this.rows = rows;
        this.cols = cols;
        try {
            matA = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
            streams = arena.allocate(ValueLayout.ADDRESS);
            streams.set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(cuda.streamAddress()));
            hostAlpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
            if (rowScales != null) {
                alphaVector = cuda.allocate(4L * rows);
                alphaVector.upload(rowScales);
            }
            compressed = compress(dense);
        } catch (RuntimeException e) {
            release(); // the descriptor, the compressed core, the alpha vector: whatever exists by now
            throw e;
        }
    }

    private DeviceBuffer compress(MemorySegment dense) {
        check("cusparseLtStructuredDescriptorInit", cusparseLt_h.cusparseLtStructuredDescriptorInit(handle.segment(), matA,
                rows, cols, cols, ALIGNMENT, operands.cudaType(), CUSPARSE_ORDER_ROW(), CUSPARSELT_SPARSITY_50_PERCENT()));
        matAReady = true;
        MemorySegment stream = MemorySegment.ofAddress(cuda.streamAddress());
        try (DeviceBuffer d = cuda.allocate(dense.byteSize()); DeviceBuffer valid = cuda.allocate(4)) {
            d.upload(dense);
            check("cusparseLtSpMMAPruneCheck2", cusparseLt_h.cusparseLtSpMMAPruneCheck2(handle.segment(), matA, 1,
                    CUSPARSE_OPERATION_NON_TRANSPOSE(), ptr(d), ptr(valid), stream));
            int[] flag = new int[1];
            valid.download(flag); // on the stream, after the check
            if (flag[0] != 0) {
                throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " (" + operands + ") is not 2:4 sparse");
            }
            MemorySegment sizes = arena.allocate(ValueLayout.JAVA_LONG, 2);
            check("cusparseLtSpMMACompressedSize2", cusparseLt_h.cusparseLtSpMMACompressedSize2(handle.segment(), matA,
                    sizes, sizes.asSlice(8)));
            DeviceBuffer packed = cuda.allocate(sizes.getAtIndex(ValueLayout.JAVA_LONG, 0));
            try (DeviceBuffer scratch = cuda.allocate(sizes.getAtIndex(ValueLayout.JAVA_LONG, 1))) {
                check("cusparseLtSpMMACompress2", cusparseLt_h.cusparseLtSpMMACompress2(handle.segment(), matA, 1,
                        CUSPARSE_OPERATION_NON_TRANSPOSE(), ptr(d), ptr(packed), ptr(scratch), stream));
                cuda.synchronize(); // d and scratch are freed when this block ends
            } catch (RuntimeException e) {
                packed.close();
                throw e;
            }
            return packed;
        }
    }

    /**
     * Uploads and compresses a bf16 core given as the dense matrix with zeros ({@link SparseCoreOperand#expand}).
     *
     * @throws IllegalArgumentException for a shape cuSPARSELt does not take (on the host) or a matrix that is not
     *                                  2:4 (checked on the device by cuSPARSELt)
     */
    public static SparseCoreMatmul load(CusparseLtHandle handle, CudaContext cuda, short[] denseBf16, int rows, int cols) {
        checkShape(Operands.BF16, rows, cols);
        if (denseBf16.length != (long) rows * cols) {
            throw new IllegalArgumentException("2:4 core: " + denseBf16.length + " values for " + rows + "×" + cols);
        }
        return new SparseCoreMatmul(handle, cuda, Operands.BF16, rows, cols, MemorySegment.ofArray(denseBf16), null);
    }

    /**
     * An 8-bit core: {@code dense} holds the {@code rows × cols} int8 (or e4m3) values with zeros at the pruned
     * positions, row-major; {@code rowScales} one float per output row: W[o, i] = dense[o, i] · rowScales[o]. The GPU
     * path needs channel-wise scales (one group = the whole row): a checkpoint with several groups per row must be
     * requantized per row first.
     *
     * @param capability the device's compute capability as {@code 10·major + minor} (e4m3 needs 89 or more)
     */
    public static SparseCoreMatmul load8Bit(CusparseLtHandle handle, CudaContext cuda, Operands operands,
                                            MemorySegment dense, float[] rowScales, int rows, int cols, int capability) {
        check8Bit(operands, dense.byteSize(), rowScales, rows, cols, capability);
        return new SparseCoreMatmul(handle, cuda, operands, rows, cols, dense, rowScales);
    }

    /** {@link #load8Bit} from an array. */
    public static SparseCoreMatmul load8Bit(CusparseLtHandle handle, CudaContext cuda, Operands operands, byte[] dense,
                                            float[] rowScales, int rows, int cols, int capability) {
        return load8Bit(handle, cuda, operands, MemorySegment.ofArray(dense), rowScales, rows, cols, capability);
    }

    /** The host-side checks of {@link #load8Bit}, one line each. */
    static void check8Bit(Operands operands, long valueBytes, float[] rowScales, int rows, int cols, int capability) {
        if (operands == Operands.BF16) throw new IllegalArgumentException("load8Bit takes INT8 or E4M3 operands, not bf16");
        if (capability < operands.minCapability) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "2:4 %s needs a GPU of compute capability "
                    + "%d.%d or newer; this one is %d.%d", operands, operands.minCapability / 10,
                    operands.minCapability % 10, capability / 10, capability % 10));
        }
        checkShape(operands, rows, cols);
        if (valueBytes != (long) rows * cols) {
            throw new IllegalArgumentException("2:4 " + operands + " core: " + valueBytes + " values for " + rows + "×" + cols);
        }
        if (rowScales.length != rows) {
            throw new IllegalArgumentException("2:4 " + operands + " core " + rows + "×" + cols + ": " + rowScales.length
                    + " row scales, expected one per output row (" + rows + ")");
        }
        for (int r = 0; r < rows; r++) {
            if (!(rowScales[r] > 0) || !Float.isFinite(rowScales[r])) {
                throw new IllegalArgumentException("2:4 " + operands + " core: row " + r + " has scale " + rowScales[r]
                        + ", expected a positive finite number");
            }
        }
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public Operands operands() {
        return operands;
    }

    /**
     * Queues y = W x for {@code tokens} rows; x ({@link Operands#bytes} per element) and y (bf16) must hold
     * {@link #rowsFor}(tokens) rows and be 16-byte aligned.
     */
    public void multiply(DeviceBuffer x, DeviceBuffer y, int tokens) {
        int bucket = rowsFor(operands, tokens);
        checkActivations(operands, rows, cols, x.address(), x.bytes(), y.address(), y.bytes(), bucket);
        Plan p = plans.get(bucket);
        if (p == null) {
            p = plan(bucket);
            plans.put(bucket, p);
        }
        MemorySegment alpha = alphaVector == null ? hostAlpha : ptr(alphaVector);
        check("cusparseLtMatmul", cusparseLt_h.cusparseLtMatmul(handle.segment(), p.plan(), alpha, ptr(compressed),
                ptr(x), beta, ptr(y), ptr(y), p.workspace() == null ? MemorySegment.NULL : ptr(p.workspace()), streams, 1));
    }

    /** Host-side check of the activation buffers of one product, one line naming what is wrong. */
    static void checkActivations(Operands operands, int rows, int cols, long xAddress, long xBytes, long yAddress,
                                 long yBytes, int bucket) {
        if (xBytes < (long) operands.bytes * bucket * cols || yBytes < 2L * bucket * rows) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "2:4 core %d×%d: activation buffers of %d and "
                    + "%d bytes, expected at least %d and %d (%d rows)", rows, cols, xBytes, yBytes,
                    (long) operands.bytes * bucket * cols, 2L * bucket * rows, bucket));
        }
        if (xAddress % ALIGNMENT != 0 || yAddress % ALIGNMENT != 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "2:4 core %d×%d: activation addresses 0x%x and "
                    + "0x%x must be %d-byte aligned for cuSPARSELt", rows, cols, xAddress, yAddress, ALIGNMENT));
        }
    }

    /** Builds a plan; what was set up before a failing call is destroyed before the exception leaves. */
    private Plan plan(int bucket) {
        MemorySegment matB = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
        MemorySegment matC = cusparseLt_h.cusparseLtMatDescriptor_t.allocate(arena);
        MemorySegment matmul = cusparseLt_h.cusparseLtMatmulDescriptor_t.allocate(arena);
        MemorySegment algorithm = cusparseLt_h.cusparseLtMatmulAlgSelection_t.allocate(arena);
        MemorySegment plan = cusparseLt_h.cusparseLtMatmulPlan_t.allocate(arena);
        MemorySegment h = handle.segment();
        boolean bReady = false, cReady = false, algReady = false, planReady = false;
        try {
            check("cusparseLtDenseDescriptorInit", cusparseLt_h.cusparseLtDenseDescriptorInit(h, matB, cols, bucket, cols,
                    ALIGNMENT, operands.cudaType(), CUSPARSE_ORDER_COL()));
            bReady = true;
            check("cusparseLtDenseDescriptorInit", cusparseLt_h.cusparseLtDenseDescriptorInit(h, matC, rows, bucket, rows,
                    ALIGNMENT, CUDA_R_16BF(), CUSPARSE_ORDER_COL()));
            cReady = true;
            check("cusparseLtMatmulDescriptorInit", cusparseLt_h.cusparseLtMatmulDescriptorInit(h, matmul,
                    CUSPARSE_OPERATION_NON_TRANSPOSE(), CUSPARSE_OPERATION_NON_TRANSPOSE(), matA, matB, matC, matC,
                    operands.computeType()));
            if (alphaVector != null) {
                MemorySegment on = arena.allocateFrom(ValueLayout.JAVA_INT, 1);
                check("cusparseLtMatmulDescSetAttribute(ALPHA_VECTOR_SCALING)", cusparseLt_h.cusparseLtMatmulDescSetAttribute(
                        h, matmul, CUSPARSELT_MATMUL_ALPHA_VECTOR_SCALING(), on, 4));
            }
            check("cusparseLtMatmulAlgSelectionInit", cusparseLt_h.cusparseLtMatmulAlgSelectionInit(h, algorithm, matmul,
                    CUSPARSELT_MATMUL_ALG_DEFAULT()));
            algReady = true;
            check("cusparseLtMatmulPlanInit", cusparseLt_h.cusparseLtMatmulPlanInit(h, plan, matmul, algorithm));
            planReady = true;
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            check("cusparseLtMatmulGetWorkspace", cusparseLt_h.cusparseLtMatmulGetWorkspace(h, plan, size));
            long bytes = size.get(ValueLayout.JAVA_LONG, 0);
            return new Plan(matB, matC, matmul, algorithm, plan, bytes == 0 ? null : cuda.allocate(bytes));
        } catch (RuntimeException e) {
            if (planReady) cusparseLt_h.cusparseLtMatmulPlanDestroy(plan);
            if (algReady) cusparseLt_h.cusparseLtMatmulAlgSelectionDestroy(algorithm);
            if (cReady) cusparseLt_h.cusparseLtMatDescriptorDestroy(matC);
            if (bReady) cusparseLt_h.cusparseLtMatDescriptorDestroy(matB);
            throw e;
        }
    }

    private static MemorySegment ptr(DeviceBuffer b) {
        return MemorySegment.ofAddress(b.address());
    }

    private static void check(String call, int status) {
        CusparseLtException.check(call, status);
    }

    /** Frees the core's own resources (not the plans): used by {@link #close} and by a failed load. */
    private void release() {
        if (matAReady) cusparseLt_h.cusparseLtMatDescriptorDestroy(matA);
        matAReady = false;
        if (compressed != null) compressed.close();
        compressed = null;
        if (alphaVector != null) alphaVector.close();
        alphaVector = null;
        arena.close();
    }

    @Override
    public void close() {
        if (!arena.scope().isAlive()) return;
        for (Plan p : plans.values()) {
            cusparseLt_h.cusparseLtMatmulPlanDestroy(p.plan());
            cusparseLt_h.cusparseLtMatmulAlgSelectionDestroy(p.algorithm());
            cusparseLt_h.cusparseLtMatDescriptorDestroy(p.matB());
            cusparseLt_h.cusparseLtMatDescriptorDestroy(p.matC());
            if (p.workspace() != null) p.workspace().close();
        }
        plans.clear();
        release();
    }
}
