package armor.runtime.linear;

import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.Sparse24Int8Kernels;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 2:4 core repacked at load into the kernels' row-interleaved layout (see {@link Sparse24Kernels}), values kept in
 * the stored dtype (bf16, f16: both kept values of a row and group in one {@code int}; f32: {@code float[]}; int8:
 * the four kept values of a pair of groups in one {@code int}, with one float scale per row and group of dense
 * columns, see {@link Sparse24Int8Kernels}). Rows are padded to a multiple of 8 with zero values; the padded rows are
 * computed and dropped.
 */
public final class Sparse24Matrix implements SparseCore {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Prefill with fewer tokens than this runs the decode kernel once per token (no transpose, streams weights). */
    static final int PREFILL_MIN_TOKENS = 4;

    /** Rows per prefill chunk of an int8 core: its values dequantized to float32 (256 rows: ≤ 1 MiB at 2048 columns). */
    private static final int INT8_PREFILL_ROWS = 256;

    private final int rows, cols, groups, rowBlocks;
    /** Rows per row block: 8 ({@link Sparse24Kernels}), or {@link Sparse24Int8Kernels#ROWS} for int8. */
    private final int blockRows;
    private final DType dtype;
    private final int[] vals16;
    private final float[] vals32;
    private final int[] meta;
    /** int8 only ({@link Sparse24Int8Kernels} layout): values and positions of group pairs, scales, scale geometry. */
    private final int[] vals8;
    private final byte[] meta8;
    private final float[] scales8;
    private final int pairs, groupSize, scaleGroups, pairsPerScale;

    private Sparse24Matrix(int rows, int cols, DType dtype, int groupSize) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: " + cols + " input columns is not a multiple of 4");
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32 && dtype != DType.I8)
            throw new IllegalArgumentException("2:4 core: dtype " + dtype + " is not supported, expected BF16, F16, F32 or I8");
        this.rows = rows;
        this.cols = cols;
        this.groups = cols / 4;
        this.dtype = dtype;
        this.pairs = (groups + 1) / 2;
        this.blockRows = dtype == DType.I8 ? Sparse24Int8Kernels.ROWS : Sparse24Kernels.LANES;
        this.rowBlocks = (rows + blockRows - 1) / blockRows;
        long n = (long) rowBlocks * blockRows * pairs * 4;
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " is too large for one layer");
        this.vals16 = dtype == DType.BF16 || dtype == DType.F16 ? new int[rowBlocks * groups * 8] : null;
        this.vals32 = dtype == DType.F32 ? new float[rowBlocks * groups * 16] : null;
        this.meta = dtype == DType.I8 ? null : new int[rowBlocks * groups];
        if (dtype == DType.I8) {
            if (groupSize <= 0 || cols % groupSize != 0 || (groupSize != cols && groupSize % 8 != 0))
                throw new IllegalArgumentException("2:4 core: scale group of " + groupSize + " columns, expected a multiple of 8 dividing "
                        + cols + ", or the whole row");
            this.groupSize = groupSize;
            this.scaleGroups = cols / groupSize;
            this.pairsPerScale = groupSize == cols ? pairs : groupSize / 8;
            this.vals8 = new int[rowBlocks * pairs * blockRows];
            this.meta8 = new byte[rowBlocks * pairs * blockRows];
            this.scales8 = new float[rowBlocks * scaleGroups * blockRows];
            // the pad group of an odd group count: positions (0, 1) in the high nibble, values 0
            if ((groups & 1) == 1)
                for (int rb = 0; rb < rowBlocks; rb++)
                    for (int lane = 0; lane < blockRows; lane++) meta8[(rb * pairs + pairs - 1) * blockRows + lane] = 0x40;
        } else {
            this.groupSize = 0;
            this.scaleGroups = 0;
            this.pairsPerScale = 0;
            this.vals8 = null;
            this.meta8 = null;
            this.scales8 = null;
        }
    }

    private Sparse24Matrix(int rows, int cols, DType dtype) {
        this(rows, cols, dtype, 0);
    }

    /** Repacks a float32 core, rounding its values to {@code dtype}. */
    public static Sparse24Matrix fromCore(Sparse24Core core, DType dtype) {
        Sparse24Matrix m = new Sparse24Matrix(core.rows(), core.cols(), dtype);
        int half = core.cols() / 2;
        for (int r = 0; r < core.rows(); r++) {
            for (int g = 0; g < m.groups; g++) {
                int src = r * half + 2 * g;
                m.put(r, g, core.nibble(r, g), core.values()[src], core.values()[src + 1]);
            }
        }
        return m;
    }

    /**
     * Repacks checkpoint tensors: {@code values} (rows, cols/2) little-endian in {@code dtype}, {@code meta}
     * (rows, ceil(cols/8)) uint8 as in {@link Sparse24Core}. Every nibble is validated; {@code metaName} names the
     * tensor in the error.
     */
    public static Sparse24Matrix fromCheckpoint(int rows, int cols, DType dtype, MemorySegment values, MemorySegment meta, String metaName) {
        Sparse24Matrix m = new Sparse24Matrix(rows, cols, dtype);
        int half = cols / 2, mc = Sparse24Core.metaCols(cols);
        for (int r = 0; r < rows; r++) {
            long vrow = (long) r * half, mrow = (long) r * mc;
            for (int g = 0; g < m.groups; g++) {
                int nib = nibble(meta, mrow, g, r, metaName);
                long vi = vrow + 2L * g;
                if (dtype == DType.F32) {
                    m.put(r, g, nib, values.getAtIndex(LE_FLOAT, vi), values.getAtIndex(LE_FLOAT, vi + 1));
                } else {
                    m.putBits(r, g, nib, values.getAtIndex(LE_SHORT, vi), values.getAtIndex(LE_SHORT, vi + 1));
                }
            }
            checkPad(meta, mrow + mc - 1, m.groups, r, metaName);
        }
        return m;
    }

    /**
     * An int8 core: {@code values} are the kept values ({@code rows × cols/2}, as {@code P.sparse_values}) with group
     * scales over {@code values.groupSize()} kept values, i.e. groups of twice as many dense columns; {@code meta}
     * ({@code rows × ceil(cols/8)} uint8) as in {@link Sparse24Core}, every nibble validated ({@code metaName} names
     * the tensor in the error).
     */
    public static Sparse24Matrix fromInt8(Int8Matrix values, int cols, MemorySegment meta, String metaName) {
        if (values.cols() * 2 != cols)
            throw new IllegalArgumentException("2:4 core: " + values.cols() + " kept values a row, expected " + cols / 2);
        int rows = values.rows();
        Sparse24Matrix m = new Sparse24Matrix(rows, cols, DType.I8, 2 * values.groupSize());
        int half = cols / 2, mc = Sparse24Core.metaCols(cols), gpr = values.groupsPerRow(), br = m.blockRows;
        byte[] v = values.values();
        float[] sc = values.scales();
        for (int r = 0; r < rows; r++) {
            int rb = r / br, lane = r % br;
            for (int g = 0; g < m.groups; g++) {
                int nib = nibble(meta, (long) r * mc, g, r, metaName);
                int vi = (rb * m.pairs + (g >>> 1)) * br + lane, shift = (g & 1) * 16;
                m.meta8[vi] |= (byte) (nib << ((g & 1) * 4));
                m.vals8[vi] |= ((v[r * half + 2 * g] & 0xff) | (v[r * half + 2 * g + 1] & 0xff) << 8) << shift;
            }
            checkPad(meta, (long) r * mc + mc - 1, m.groups, r, metaName);
            for (int s = 0; s < m.scaleGroups; s++) m.scales8[(rb * m.scaleGroups + s) * br + lane] = sc[r * gpr + s];
        }
        return m;
    }

    /** Quantizes a float32 core's kept values to int8 with one scale per row and {@code groupSize} dense columns. */
    public static Sparse24Matrix quantize(Sparse24Core core, int groupSize) {
        Int8Matrix q = Int8Quantizer.quantize(core.values(), core.rows(), core.cols() / 2, groupSize / 2);
        return fromInt8(q, core.cols(), MemorySegment.ofArray(core.meta()), "2:4 core metadata");
    }

    /** The validated nibble of group g in the meta row starting at byte {@code mrow}. */
    private static int nibble(MemorySegment meta, long mrow, int g, int r, String metaName) {
        int b = meta.get(ValueLayout.JAVA_BYTE, mrow + (g >>> 1)) & 0xff;
        int nib = (g & 1) == 0 ? b & 15 : b >>> 4;
        if (!Sparse24Core.validNibble(nib))
            throw new IllegalArgumentException(metaName + ": row " + r + ", group " + g + " (columns " + 4 * g + ".." + (4 * g + 3)
                    + ") has metadata nibble " + nib + " (positions " + (nib & 3) + "," + (nib >>> 2)
                    + "), expected exactly two distinct kept positions p0 < p1");
        return nib;
    }

    /** With an odd group count the high nibble of a row's last meta byte is padding and must be zero. */
    private static void checkPad(MemorySegment meta, long lastByte, int groups, int r, String metaName) {
        if ((groups & 1) == 1 && (meta.get(ValueLayout.JAVA_BYTE, lastByte) & 0xf0) != 0)
            throw new IllegalArgumentException(metaName + ": row " + r + " has a non-zero pad nibble after its last group");
    }

    private void put(int r, int g, int nib, float v0, float v1) {
        switch (dtype) {
            case BF16 -> putBits(r, g, nib, HalfFloat.floatToBf16(v0), HalfFloat.floatToBf16(v1));
            case F16 -> putBits(r, g, nib, HalfFloat.floatToF16(v0), HalfFloat.floatToF16(v1));
            default -> {
                int vo = valueIndex(r, g);
                vals32[vo] = v0;
                vals32[vo + 8] = v1;
                meta[(r >>> 3) * groups + g] |= nib << (4 * (r & 7));
            }
        }
    }

    private void putBits(int r, int g, int nib, short v0, short v1) {
        vals16[((r >>> 3) * groups + g) * 8 + (r & 7)] = (v0 & 0xffff) | (v1 << 16);
        meta[(r >>> 3) * groups + g] |= nib << (4 * (r & 7));
    }

    private int valueIndex(int r, int g) {
        return ((r >>> 3) * groups + g) * 16 + (r & 7);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    /** Dense input columns per scale (int8 only; 0 for other dtypes). */
    public int groupSize() {
        return groupSize;
    }

    /** The row of a layer of {@code structure} (2:4 or ARMOR) around this core: the core's dtype is the format's element. */
    @Override
    public WeightFormat format(Structure structure) {
        return WeightFormat.of(structure, Element.of(dtype));
    }

    /** Bytes of packed values and metadata read per token, as the {@link WeightFormat} table counts them. */
    @Override
    public long bytes() {
        return format(Structure.TWO_FOUR).weightBytes(rows, cols, groupSize);
    }

    /** The packed core back in the checkpoint's layout, values widened to float32 (exact). */
    @Override
    public Sparse24Core toCore() {
        int half = cols / 2, mc = Sparse24Core.metaCols(cols);
        float[] v = new float[rows * half];
        byte[] mb = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                if (dtype == DType.I8) {
                    v[r * half + 2 * g] = int8Value(r, g, 0);
                    v[r * half + 2 * g + 1] = int8Value(r, g, 1);
                } else if (dtype == DType.F32) {
                    int vo = valueIndex(r, g);
                    v[r * half + 2 * g] = vals32[vo];
                    v[r * half + 2 * g + 1] = vals32[vo + 8];
                } else {
                    int pair = vals16[((r >>> 3) * groups + g) * 8 + (r & 7)];
                    v[r * half + 2 * g] = widen((short) pair);
                    v[r * half + 2 * g + 1] = widen((short) (pair >>> 16));
                }
                int nib = dtype == DType.I8 ? (meta8[(r / blockRows * pairs + (g >>> 1)) * blockRows + r % blockRows] >>> ((g & 1) * 4)) & 15
                        : (meta[(r >>> 3) * groups + g] >>> (4 * (r & 7))) & 15;
                mb[r * mc + (g >>> 1)] |= (byte) (nib << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, v, mb);
    }

    /** Kept value k (0, 1) of row r and group g of an int8 core, dequantized: the code times its row's group scale. */
    private float int8Value(int r, int g, int k) {
        int rb = r / blockRows, lane = r % blockRows;
        int word = vals8[(rb * pairs + (g >>> 1)) * blockRows + lane];
        byte code = (byte) (word >>> ((g & 1) * 16 + 8 * k));
        return code * scales8[(rb * scaleGroups + (g >>> 1) / pairsPerScale) * blockRows + lane];
    }

    private float widen(short bits) {
        return dtype == DType.F16 ? HalfFloat.f16ToFloat(bits) : HalfFloat.bf16ToFloat(bits);
    }

    /** y[yOff + r] = (W x)[r] for one token, x[xOff..xOff+cols); split over the pool by row blocks. */
    public void decode(float[] x, int xOff, float[] y, int yOff) {
        float[] xp = paddedInput(x, xOff);
        Parallel.forRange(rowBlocks, 16, (from, to) -> decodeRowBlocks(xp, y, yOff, from, to));
    }

    /** Rows per row block of {@link #decodeRowBlocks}: 8, or 16 for int8 on CPUs with 512-bit vectors. */
    @Override
    public int blockRows() {
        return blockRows;
    }

    /** Single-threaded decode of row blocks [rbFrom, rbTo) ({@link #blockRows()} rows each); {@code xp} from {@link #paddedInput}. */
    @Override
    public void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo) {
        switch (dtype) {
            case I8 -> Sparse24Int8Kernels.decode(vals8, meta8, scales8, pairs, scaleGroups, pairsPerScale, xp, y, yOff, rows, rbFrom, rbTo);
            case BF16 -> Sparse24Kernels.decodeBf16(vals16, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
            case F16 -> Sparse24Kernels.decodeF16(vals16, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
            default -> Sparse24Kernels.decodeF32(vals32, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
        }
    }

    /** Length of a padded input row: a multiple of 8, plus a whole int8 row block's vector for the last pair's load. */
    private int paddedCols() {
        return Sparse24Kernels.roundUp(cols, 8) + (dtype == DType.I8 ? blockRows : 0);
    }

    /** A zeroed input row as the decode kernel reads it ({@link #paddedCols()} long), for a caller that fills it itself. */
    @Override
    public float[] inputBuffer() {
        return new float[paddedCols()];
    }

    /** x[xOff..xOff+cols) copied into an array padded with zeros to {@link #paddedCols()}, as the decode kernel reads it. */
    public float[] paddedInput(float[] x, int xOff) {
        float[] xp = inputBuffer();
        System.arraycopy(x, xOff, xp, 0, cols);
        return xp;
    }

    /** Y = X Wᵀ for {@code tokens} rows of x (row-major, {@code cols} wide) into y ({@code rows} wide). */
    @Override
    public void multiply(float[] x, float[] y, int tokens) {
        // The token-lane prefill kernel needs a full tile of tokens to amortise its scalar work per kept value (below
        // one it was slower than dense); bf16 gives it whole tiles only and the rest to the decode layout, four tokens
        // per pass, then one by one. Other dtypes give every batch of at least PREFILL_MIN_TOKENS to prefill.
        boolean tiled = dtype == DType.BF16 || dtype == DType.I8;
        int prefilled = tiled ? tokens / Sparse24Kernels.TOKEN_TILE * Sparse24Kernels.TOKEN_TILE
                : tokens >= PREFILL_MIN_TOKENS ? tokens : 0;
        if (prefilled > 0) {
            int tp = Sparse24Kernels.roundUp(prefilled, 8);
            float[] xt = Sparse24Kernels.transpose(x, 0, prefilled, cols, tp);
            if (dtype == DType.I8) {
                Parallel.forRange(rowBlocks, 4, (from, to) -> prefillInt8(xt, tp, prefilled, y, from, to));
            } else {
                Parallel.forRange(rows, 8, (from, to) -> prefillRows(xt, tp, prefilled, y, rows, 0, from, to));
            }
        }
        int t = prefilled;
        int quads = tiled ? (tokens - t) / 4 : 0;
        if (quads > 0) multiplyInFours(x, y, t, quads);
        for (t += 4 * quads; t < tokens; t++) decode(x, t * cols, y, t * rows);
    }

    /**
     * Prefill of an int8 core's row blocks [rbFrom, rbTo): chunks of {@link #INT8_PREFILL_BLOCKS} row blocks are
     * dequantized into the float32 layout (a buffer that stays in L2) and run through the float32 prefill kernel, so
     * the conversion is paid once per chunk and token tile count, not once per token.
     */
    private void prefillInt8(float[] xt, int tp, int tokens, float[] y, int rbFrom, int rbTo) {
        int b8From = rbFrom * blockRows / 8, b8To = Math.min((rows + 7) / 8, rbTo * blockRows / 8);
        int chunk = Math.min(INT8_PREFILL_ROWS / 8, b8To - b8From);
        float[] v32 = new float[chunk * groups * 16];
        int[] m32 = new int[chunk * groups];
        for (int b0 = b8From; b0 < b8To; b0 += chunk) {
            int b1 = Math.min(b8To, b0 + chunk);
            Sparse24Int8Kernels.toFloatLayout(vals8, meta8, scales8, groups, pairs, scaleGroups, pairsPerScale, b0, b1, v32, m32);
            int r0 = b0 * 8, r1 = Math.min(rows, b1 * 8);
            Sparse24Kernels.prefill(null, v32, false, m32, groups, xt, tp, tokens, y, rows, r0, 0, r1 - r0);
        }
    }

    /** Tokens [t0, t0 + 4*quads) of {@link #multiply} with {@link Sparse24Kernels#decodeBf16Four} (int8: {@link Sparse24Int8Kernels#decodeFour}). */
    private void multiplyInFours(float[] x, float[] y, int t0, int quads) {
        int cp = paddedCols();
        float[] xp = new float[4 * quads * cp];
        for (int t = 0; t < 4 * quads; t++) System.arraycopy(x, (t0 + t) * cols, xp, t * cp, cols);
        // row block outermost: its rows of weights stay in cache while every quad of tokens reads them
        Parallel.forRange(rowBlocks, 2, (from, to) -> {
            for (int rb = from; rb < to; rb++)
                for (int q = 0; q < quads; q++) {
                    if (dtype == DType.I8)
                        Sparse24Int8Kernels.decodeFour(vals8, meta8, scales8, pairs, scaleGroups, pairsPerScale, xp, 4 * q * cp, cp,
                                y, (t0 + 4 * q) * rows, rows, rows, rb, rb + 1);
                    else
                        Sparse24Kernels.decodeBf16Four(vals16, meta, groups, xp, 4 * q * cp, cp, y, (t0 + 4 * q) * rows,
                                rows, rows, rb, rb + 1);
                }
        });
    }

    /** Single-threaded prefill of rows [from, to) from the transposed input (see {@link Sparse24Kernels#prefill}). */
    public void prefillRows(float[] xt, int tp, int tokens, float[] y, int yStride, int yOff, int from, int to) {
        if (dtype == DType.I8) throw new IllegalStateException("an int8 2:4 core prefills through multiply()");
        Sparse24Kernels.prefill(vals16, vals32, dtype == DType.F16, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to);
    }
}
