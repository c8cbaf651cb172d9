package armor.runtime.cuda;

import armor.runtime.tensor.DType;

/**
 * armor's CUDA kernels with their launch shapes, one method per kernel (the shapes the kernels in
 * {@code armor_kernels.cu} are written for). Everything is queued on the context's stream; shapes are in elements.
 */
public final class CudaOps {
    private static final int BLOCK = 256;
    /** Enough blocks of {@link #BLOCK} threads to fill any current GPU; the element-wise kernels grid-stride. */
    private static final int MAX_GRID = 65_535;

    private final CudaContext cuda;

    public CudaOps(CudaContext cuda) {
        this.cuda = cuda;
    }

    private static int grid(long n) {
        return (int) Math.max(1, Math.min(MAX_GRID, (n + BLOCK - 1) / BLOCK));
    }

    /** out[t] = table[tokens[t]] as float32, for a table of {@code dim}-wide rows in bf16, f16 or f32. */
    public void embedding(DeviceBuffer out, DeviceBuffer table, DType dtype, DeviceBuffer tokens, int count, int dim) {
        CudaKernel k = switch (dtype) {
            case BF16 -> CudaKernel.EMBEDDING_BF16;
            case F16 -> CudaKernel.EMBEDDING_F16;
            case F32 -> CudaKernel.EMBEDDING_F32;
            default -> throw new IllegalArgumentException("embedding table dtype " + dtype + ": expected BF16, F16 or F32");
        };
        cuda.launch(k, count, 1, BLOCK, 0, out, table, tokens, dim);
    }

    /** RMSNorm of {@code rows} rows of {@code dim} (tokens, or token-heads for q/k norm); out may be x. */
    public void rmsnorm(DeviceBuffer out, DeviceBuffer x, DeviceBuffer weight, int rows, int dim, float eps) {
        cuda.launch(CudaKernel.RMSNORM_F32, rows, 1, BLOCK, 0, out, x, weight, dim, eps);
    }

    /** Rotary embedding in place on {@code tokens} rows of {@code heads × headDim}, rotate-half pairing. */
    public void rope(DeviceBuffer x, DeviceBuffer positions, DeviceBuffer invFreq, int tokens, int heads, int headDim,
                     int rotaryDim) {
        cuda.launch(CudaKernel.ROPE_F32, tokens, heads, Math.min(BLOCK, Math.max(32, rotaryDim / 2)), 0,
                x, positions, invFreq, heads, headDim, rotaryDim);
    }

    /** Writes each token's k and v rows ({@code kvDim} wide) into its sequence's cache slot. */
    public void kvStore(DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer k, DeviceBuffer v, DeviceBuffer seqIds,
                        DeviceBuffer positions, int tokens, int kvDim, int maxSeq) {
        cuda.launch(CudaKernel.KV_STORE_F32, tokens, 1, BLOCK, 0, kCache, vCache, k, v, seqIds, positions, kvDim, maxSeq);
    }

    /**
     * Causal attention of every token over its sequence's cache; {@code maxLength} is the largest
     * {@code position + 1} in the batch (it sizes the shared memory that holds one row of scores).
     */
    public void attention(DeviceBuffer out, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer seqIds,
                          DeviceBuffer positions, int tokens, int heads, int kvHeads, int headDim, int maxSeq,
                          int maxLength, float scale) {
        if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads is not a multiple of " + kvHeads + " kv heads");
        int shared = 4 * (headDim + maxLength);
        cuda.launch(CudaKernel.ATTENTION_F32, tokens, heads, 128, shared,
                out, q, kCache, vCache, seqIds, positions, heads, kvHeads, headDim, maxSeq, scale);
    }

    /** out = silu(gate) · up over {@code n} elements. */
    public void siluMul(DeviceBuffer out, DeviceBuffer gate, DeviceBuffer up, int n) {
        cuda.launch(CudaKernel.SILU_MUL_F32, grid(n), 1, BLOCK, 0, out, gate, up, n);
    }

    /** x += y over {@code n} elements (the residual connection). */
    public void add(DeviceBuffer x, DeviceBuffer y, int n) {
        cuda.launch(CudaKernel.ADD_F32, grid(n), 1, BLOCK, 0, x, y, n);
    }

    /** y[r, :] += bias for {@code rows} rows of {@code cols}. */
    public void addBias(DeviceBuffer y, DeviceBuffer bias, int rows, int cols) {
        int n = Math.multiplyExact(rows, cols);
        cuda.launch(CudaKernel.ADD_BIAS_F32, grid(n), 1, BLOCK, 0, y, bias, cols, n);
    }

    /** float32 to bf16 (round to nearest even) over {@code n} elements. */
    public void toBf16(DeviceBuffer out, DeviceBuffer x, int n) {
        cuda.launch(CudaKernel.F32_TO_BF16, grid(n), 1, BLOCK, 0, out, x, n);
    }

    /** bf16 to float32 over {@code n} elements. */
    public void toF32(DeviceBuffer out, DeviceBuffer x, int n) {
        cuda.launch(CudaKernel.BF16_TO_F32, grid(n), 1, BLOCK, 0, out, x, n);
    }

    /**
     * Per-token 8-bit activations for an 8-bit 2:4 product: {@code rows} rows of {@code cols} bf16 values to int8
     * ({@code scale = max|x| / 127}) or e4m3 ({@code max|x| / 448}), one float scale per row.
     */
    public void quantizeRows(DeviceBuffer out, DeviceBuffer scales, DeviceBuffer xBf16, int rows, int cols,
                             SparseCoreMatmul.Operands operands) {
        CudaKernel k = switch (operands) {
            case INT8 -> CudaKernel.QUANTIZE_ROWS_INT8;
            case E4M3 -> CudaKernel.QUANTIZE_ROWS_E4M3;
            case BF16 -> throw new IllegalArgumentException("quantizeRows makes int8 or e4m3 activations, not bf16");
        };
        cuda.launch(k, rows, 1, BLOCK, 0, out, scales, xBf16, cols);
    }

    /** y[r, c] = d[r, c] · scales[r] for {@code rows} rows of {@code cols}: bf16 in, float32 out. */
    public void scaleRows(DeviceBuffer y, DeviceBuffer dBf16, DeviceBuffer scales, int rows, int cols) {
        int n = Math.multiplyExact(rows, cols);
        cuda.launch(CudaKernel.SCALE_ROWS_BF16_TO_F32, grid(n), 1, BLOCK, 0, y, dBf16, scales, cols, n);
    }
}
