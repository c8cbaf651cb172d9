package armor.runtime.linear;

import armor.runtime.kernels.BlockDiagonalKernels;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Parallel;
import armor.runtime.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A block-diagonal matrix of {@code blocks} dense {@code b×b} blocks, stored as the checkpoint's
 * {@code (blocks, b, b)} tensor in row-major order, values kept in the stored dtype (ARMOR's A' and B').
 */
public final class BlockDiagonal {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int blocks, b;
    private final DType dtype;
    private final short[] w16;
    private final float[] w32;

    private BlockDiagonal(int blocks, int b, DType dtype) {
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

    public long bytes() {
        return (long) blocks * b * b * (dtype == DType.F32 ? 4 : 2);
    }

    /** The blocks widened to float32 ({@code blocks*b*b}, row-major per block); exact. */
    public float[] toFloats() {
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
            case BF16 -> {
                if (tokens == 1) BlockDiagonalKernels.matVecBf16(w16, b, k, x, xOff, y, yOff);
                else BlockDiagonalKernels.matMatBf16(w16, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            }
            case F16 -> BlockDiagonalKernels.applyF16(w16, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            default -> BlockDiagonalKernels.applyF32(w32, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
        }
    }
}
