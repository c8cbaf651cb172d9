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
 * {@code (blocks, b, b)} tensor in row-major order, values kept in the stored element type (ARMOR's A' and B'). int8
 * blocks carry one float scale per block row ({@code blocks·b} scales: the {@code [blocks·b, b]} matrix of block rows
 * quantized with groups of b columns). How each element type is kept and multiplied is its {@link Kernels}, which
 * the {@link Element} gives ({@link Element#blocks()}).
 */
public final class BlockDiagonal {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * How blocks of one element type are kept and multiplied: stored as {@code W} (bf16 and f16 bits in a
     * {@code short[]}, f32 in a {@code float[]}, int8 as the {@link Int8Matrix} of block rows), packed from float32
     * values, read from a checkpoint tensor's bytes (null for int8, whose scales come with it: {@link #fromInt8}),
     * widened back, and multiplied block by block: {@code decode} for one token, {@code tokens} for several. The
     * kernels are plain static methods of {@code armor.runtime.kernels}, called once per block.
     */
    record Kernels<W>(Pack<W> pack, Read<W> read, Widen<W> widen, Block<W> decode, Block<W> tokens) {
        static final Kernels<short[]> BF16 = new Kernels<>((v, b) -> HalfFloat.round(v, HalfFloat::floatToBf16), BlockDiagonal::shorts,
                w -> HalfFloat.widen(w, HalfFloat::bf16ToFloat),
                (w, b, k, x, xOff, xStride, y, yOff, yStride, tokens) -> BlockDiagonalKernels.matVecBf16(w, b, k, x, xOff, y, yOff),
                BlockDiagonalKernels::matMatBf16);
        static final Kernels<short[]> F16 = new Kernels<>((v, b) -> HalfFloat.round(v, HalfFloat::floatToF16), BlockDiagonal::shorts,
                w -> HalfFloat.widen(w, HalfFloat::f16ToFloat),
                BlockDiagonalKernels::applyF16, BlockDiagonalKernels::applyF16);
        static final Kernels<float[]> F32 = new Kernels<>((v, b) -> v.clone(), BlockDiagonal::floats, float[]::clone,
                BlockDiagonalKernels::applyF32, BlockDiagonalKernels::applyF32);
        static final Kernels<Int8Matrix> INT8 = new Kernels<>((v, b) -> Int8Quantizer.quantize(v, v.length / b, b, b), null,
                Int8Matrix::dequantize,
                (q, b, k, x, xOff, xStride, y, yOff, yStride, tokens) -> {
                    int kb = k * b;
                    DenseInt8MatMul.matVec(q.values(), q.scales(), b, b, x, xOff + kb, y, yOff, kb, kb + b);
                },
                (q, b, k, x, xOff, xStride, y, yOff, yStride, tokens) ->
                        BlockDiagonalKernels.matMatInt8(q.values(), q.scales(), b, k, x, xOff, xStride, y, yOff, yStride, tokens));

        /** Float32 values of blocks of size b as stored values. */
        interface Pack<W> {
            W pack(float[] values, int b);
        }

        /** {@code n} values from a checkpoint tensor's little-endian bytes, bit for bit. */
        interface Read<W> {
            W read(MemorySegment data, int n);
        }

        /** The stored values as float32; exact. */
        interface Widen<W> {
            float[] widen(W stored);
        }

        /** As {@link BlockDiagonal#applyBlock}, over the stored values of blocks of size b. */
        interface Block<W> {
            void apply(W stored, int b, int k, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride, int tokens);
        }
    }

    /** The stored values with the kernels of their type (the type variable kept together). */
    private record Values<W>(Kernels<W> kernels, W stored) {
        static <W> Values<W> pack(Kernels<W> kernels, float[] values, int b) {
            return new Values<>(kernels, kernels.pack().pack(values, b));
        }

        static <W> Values<W> read(Kernels<W> kernels, MemorySegment data, int n) {
            return new Values<>(kernels, kernels.read().read(data, n));
        }

        float[] widen() {
            return kernels.widen().widen(stored);
        }

        void apply(int b, int k, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride, int tokens) {
            (tokens == 1 ? kernels.decode() : kernels.tokens()).apply(stored, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
        }
    }

    private final int blocks, b;
    private final Element element;
    private final Values<?> values;

    private BlockDiagonal(int blocks, int b, Element element, Values<?> values) {
        this.blocks = blocks;
        this.b = b;
        this.element = element;
        this.values = values;
    }

    /** From float32 blocks ({@code blocks*b*b}, row-major per block), rounded to {@code dtype} (or quantized, for I8). */
    public static BlockDiagonal fromFloats(float[] values, int blocks, int b, DType dtype) {
        Element e = element(dtype, blocks, b);
        if (values.length != (long) blocks * b * b)
            throw new IllegalArgumentException("block-diagonal: " + values.length + " values, expected " + blocks + "×" + b + "×" + b);
        return new BlockDiagonal(blocks, b, e, Values.pack(e.blocks(), values, b));
    }

    /** int8 blocks: the {@code [blocks·b, b]} block rows with one scale per row (group = b). */
    public static BlockDiagonal fromInt8(Int8Matrix rowsOfBlocks, int blocks, int b) {
        if (rowsOfBlocks.rows() != (long) blocks * b || rowsOfBlocks.cols() != b || rowsOfBlocks.groupSize() != b)
            throw new IllegalArgumentException("block-diagonal: int8 rows " + rowsOfBlocks.rows() + "×" + rowsOfBlocks.cols() + " (group "
                    + rowsOfBlocks.groupSize() + "), expected " + blocks + "·" + b + " rows of " + b + " with one scale each");
        return new BlockDiagonal(blocks, b, Element.INT8, new Values<>(Kernels.INT8, rowsOfBlocks));
    }

    /** Quantizes float32 blocks ({@code blocks*b*b}, row-major per block) to int8 with one scale per block row. */
    public static BlockDiagonal quantize(float[] values, int blocks, int b) {
        return fromFloats(values, blocks, b, DType.I8);
    }

    /** From a checkpoint tensor's little-endian bytes in {@code dtype} (a float type: int8 blocks come with their scales, {@link #fromInt8}). */
    public static BlockDiagonal fromCheckpoint(MemorySegment data, int blocks, int b, DType dtype) {
        Element e = element(dtype, blocks, b);
        if (e.blocks().read() == null)
            throw new IllegalArgumentException("block-diagonal: " + dtype + " blocks are read with their scales, not from their values alone");
        return new BlockDiagonal(blocks, b, e, Values.read(e.blocks(), data, blocks * b * b));
    }

    /** The element of {@code dtype} blocks, checked to be one a block-diagonal can hold, in a size an array can. */
    private static Element element(DType dtype, int blocks, int b) {
        Element e = Element.of(dtype);
        if (e == null || e.blocks() == null)
            throw new IllegalArgumentException("block-diagonal: dtype " + dtype + " is not supported, expected "
                    + Element.dtypes(x -> x.blocks() != null));
        if ((long) blocks * b * b > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("block-diagonal " + blocks + "×" + b + "×" + b + " is too large");
        return e;
    }

    private static short[] shorts(MemorySegment data, int n) {
        short[] w = new short[n];
        MemorySegment.copy(data, LE_SHORT, 0, w, 0, n);
        return w;
    }

    private static float[] floats(MemorySegment data, int n) {
        float[] w = new float[n];
        MemorySegment.copy(data, LE_FLOAT, 0, w, 0, n);
        return w;
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
        return element.dtype();
    }

    /** Bytes read per token: the values in their element type, int8 with one scale per block row. */
    public long bytes() {
        return element.bytes((long) blocks * b * b, b);
    }

    /** The blocks widened to float32 ({@code blocks*b*b}, row-major per block); exact. */
    public float[] toFloats() {
        return values.widen();
    }

    /** y_t = M x_t for {@code tokens} rows of x and y, both {@link #dim()} wide with the given strides; over the pool by blocks. */
    public void apply(float[] x, int xStride, float[] y, int yStride, int tokens) {
        Parallel.forRange(blocks, 1, (from, to) -> {
            for (int k = from; k < to; k++) applyBlock(k, x, 0, xStride, y, 0, yStride, tokens);
        });
    }

    /** Single-threaded product of block k: y[yOff + t*yStride + kb + i] = Σ_j M_k[i,j] x[xOff + t*xStride + kb + j]. */
    public void applyBlock(int k, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride, int tokens) {
        values.apply(b, k, x, xOff, xStride, y, yOff, yStride, tokens);
    }
}
