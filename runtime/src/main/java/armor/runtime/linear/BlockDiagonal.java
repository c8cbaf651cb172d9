package armor.runtime.linear;

import armor.runtime.kernels.BlockDiagonalKernels;
import armor.runtime.kernels.DenseInt8MatMul;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A block-diagonal matrix of {@code blocks} dense {@code b×b} blocks, stored as the checkpoint's
 * {@code (blocks, b, b)} tensor in row-major order, values kept in the stored dtype (ARMOR's A' and B'). int8
 * blocks carry one float scale per block row ({@code blocks·b} scales: the {@code [blocks·b, b]} matrix of block rows
 * quantized with groups of b columns).
 */
public final class BlockDiagonal {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int blocks, b;
    private final DType dtype;
    private final short[] w16;
    private final float[] w32;
    private final byte[] w8;
    private final float[] rowScales;

    private BlockDiagonal(int blocks, int b, Int8Matrix int8) {
        this.blocks = blocks;
        this.b = b;
        this.dtype = DType.I8;
        if (int8.rows() != (long) blocks * b || int8.cols() != b || int8.groupSize() != b)
            throw new IllegalArgumentException("block-diagonal: int8 rows " + int8.rows() + "×" + int8.cols() + " (group " + int8.groupSize()
                    + "), expected " + blocks + "·" + b + " rows of " + b + " with one scale each");
        this.w16 = null;
        this.w32 = null;
        this.w8 = int8.values();
        this.rowScales = int8.scales();
    }

    private BlockDiagonal(int blocks, int b, DType dtype) {
        this.w8 = null;
        this.rowScales = null;
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
            throw new IllegalArgumentException("block-diagonal: dtype " + dtype + " is not supported, expected BF16, F16 or F32");
        this.blocks = blocks;
        this.b = b;
        this.dtype = dtype;
        long n = (long) blocks * b * b;
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("block-diagonal " + blocks + "×" + b + "×" + b + " is too large");
        this.w16 = dtype == DType.F32 ? null : new short[(int) n];
        this.w32 = dtype == DType.F32 ? new float[(int) n] : null;
    }

    /** From float32 blocks ({@code blocks*b*b}, row-major per block), rounded to {@code dtype}. */
    public static BlockDiagonal fromFloats(float[] values, int blocks, int b, DType dtype) {
        if (values.length != (long) blocks * b * b)
            throw new IllegalArgumentException("block-diagonal: " + values.length + " values, expected " + blocks + "×" + b + "×" + b);
        BlockDiagonal m = new BlockDiagonal(blocks, b, dtype);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case BF16 -> m.w16[i] = HalfFloat.floatToBf16(values[i]);
                case F16 -> m.w16[i] = HalfFloat.floatToF16(values[i]);
                default -> m.w32[i] = values[i];
            }
        }
        return m;
    }

    /** int8 blocks: the {@code [blocks·b, b]} block rows with one scale per row (group = b). */
    public static BlockDiagonal fromInt8(Int8Matrix rowsOfBlocks, int blocks, int b) {
        return new BlockDiagonal(blocks, b, rowsOfBlocks);
    }

    /** Quantizes float32 blocks ({@code blocks*b*b}, row-major per block) to int8 with one scale per block row. */
    public static BlockDiagonal quantize(float[] values, int blocks, int b) {
        return fromInt8(Int8Quantizer.quantize(values, blocks * b, b, b), blocks, b);
    }

    /** From a checkpoint tensor's little-endian bytes in {@code dtype}. */
    public static BlockDiagonal fromCheckpoint(MemorySegment data, int blocks, int b, DType dtype) {
        BlockDiagonal m = new BlockDiagonal(blocks, b, dtype);
        if (dtype == DType.F32) MemorySegment.copy(data, LE_FLOAT, 0, m.w32, 0, m.w32.length);
        else MemorySegment.copy(data, LE_SHORT, 0, m.w16, 0, m.w16.length);
        return m;
    }

    public int blocks() {
        return blocks;
    }

    public int blockSize() {
        return b;
    }

    public int dim() {
        return blocks * b;
    }

    public DType dtype() {
        return dtype;
    }

    /** Bytes read per token: the values in their element type, int8 with one scale per block row. */
    public long bytes() {
        return Element.of(dtype).bytes((long) blocks * b * b, b);
    }

    /** The blocks widened to float32 ({@code blocks*b*b}, row-major per block); exact. */
    public float[] toFloats() {
        if (dtype == DType.I8) return new Int8Matrix(blocks * b, b, b, w8, rowScales).dequantize();
        int n = blocks * b * b;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (dtype) {
                case BF16 -> HalfFloat.bf16ToFloat(w16[i]);
                case F16 -> HalfFloat.f16ToFloat(w16[i]);
                default -> w32[i];
            };
        }
        return v;
    }

    /** y_t = M x_t for {@code tokens} rows of x and y, both {@link #dim()} wide with the given strides; over the pool by blocks. */
    public void apply(float[] x, int xStride, float[] y, int yStride, int tokens) {
        Parallel.forRange(blocks, 1, (from, to) -> {
            for (int k = from; k < to; k++) applyBlock(k, x, 0, xStride, y, 0, yStride, tokens);
        });
    }

    /** Single-threaded product of block k: y[yOff + t*yStride + kb + i] = Σ_j M_k[i,j] x[xOff + t*xStride + kb + j]. */
    public void applyBlock(int k, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride, int tokens) {
        switch (dtype) {
            case I8 -> {
                int kb = k * b;
                if (tokens == 1) DenseInt8MatMul.matVec(w8, rowScales, b, b, x, xOff + kb, y, yOff, kb, kb + b);
                else DenseInt8MatMul.matMat(w8, false, rowScales, b, b, x, xOff + kb, xStride, y, yOff, yStride, tokens, kb, kb + b);
            }
            case BF16 -> {
                if (tokens == 1) BlockDiagonalKernels.matVecBf16(w16, b, k, x, xOff, y, yOff);
                else BlockDiagonalKernels.matMatBf16(w16, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            }
            case F16 -> BlockDiagonalKernels.applyF16(w16, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            default -> BlockDiagonalKernels.applyF32(w32, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
        }
    }
}
