package armor.runtime.linear;

import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 2:4 core with float values, repacked at load into the kernels' row-interleaved layout (see {@link Sparse24Kernels}),
 * values kept in the stored dtype (bf16, f16: both kept values of a row and group in one {@code int}; f32:
 * {@code float[]}). Rows are padded to a multiple of 8 with zero values; the padded rows are computed and dropped.
 * int8 values are {@link Sparse24Int8Matrix}, 4-bit ones {@link Sparse24Int4Matrix}.
 */
public final class Sparse24Matrix implements SparseCore {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Prefill with fewer tokens than this runs the decode kernel once per token (no transpose, streams weights). */
    static final int PREFILL_MIN_TOKENS = 4;

    private final int rows, cols, groups, rowBlocks;
    private final DType dtype;
    private final int[] vals16;
    private final float[] vals32;
    private final int[] meta;

    private Sparse24Matrix(int rows, int cols, DType dtype) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: " + cols + " input columns is not a multiple of 4");
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
            throw new IllegalArgumentException("2:4 core: dtype " + dtype + " is not supported, expected BF16, F16 or F32");
        this.rows = rows;
        this.cols = cols;
        this.groups = cols / 4;
        this.dtype = dtype;
        this.rowBlocks = (rows + Sparse24Kernels.LANES - 1) / Sparse24Kernels.LANES;
        long n = (long) rowBlocks * Sparse24Kernels.LANES * groups * 2;
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " is too large for one layer");
        this.vals16 = dtype == DType.F32 ? null : new int[rowBlocks * groups * 8];
        this.vals32 = dtype == DType.F32 ? new float[rowBlocks * groups * 16] : null;
        this.meta = new int[rowBlocks * groups];
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

    /** The validated nibble of group g in the meta row starting at byte {@code mrow}. */
    static int nibble(MemorySegment meta, long mrow, int g, int r, String metaName) {
        int b = meta.get(ValueLayout.JAVA_BYTE, mrow + (g >>> 1)) & 0xff;
        int nib = (g & 1) == 0 ? b & 15 : b >>> 4;
        if (!Sparse24Core.validNibble(nib))
            throw new IllegalArgumentException(metaName + ": row " + r + ", group " + g + " (columns " + 4 * g + ".." + (4 * g + 3)
                    + ") has metadata nibble " + nib + " (positions " + (nib & 3) + "," + (nib >>> 2)
                    + "), expected exactly two distinct kept positions p0 < p1");
        return nib;
    }

    /** With an odd group count the high nibble of a row's last meta byte is padding and must be zero. */
    static void checkPad(MemorySegment meta, long lastByte, int groups, int r, String metaName) {
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

    /** The row of a layer of {@code structure} (2:4 or ARMOR) around this core: the core's dtype is the format's element. */
    @Override
    public WeightFormat format(Structure structure) {
        return WeightFormat.of(structure, Element.of(dtype));
    }

    /** Bytes of packed values and metadata read per token, as the {@link WeightFormat} table counts them. */
    @Override
    public long bytes() {
        return format(Structure.TWO_FOUR).weightBytes(rows, cols, 0);
    }

    /** The packed core back in the checkpoint's layout, values widened to float32 (exact). */
    @Override
    public Sparse24Core toCore() {
        int half = cols / 2, mc = Sparse24Core.metaCols(cols);
        float[] v = new float[rows * half];
        byte[] mb = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                if (dtype == DType.F32) {
                    int vo = valueIndex(r, g);
                    v[r * half + 2 * g] = vals32[vo];
                    v[r * half + 2 * g + 1] = vals32[vo + 8];
                } else {
                    int pair = vals16[((r >>> 3) * groups + g) * 8 + (r & 7)];
                    v[r * half + 2 * g] = widen((short) pair);
                    v[r * half + 2 * g + 1] = widen((short) (pair >>> 16));
                }
                int nib = (meta[(r >>> 3) * groups + g] >>> (4 * (r & 7))) & 15;
                mb[r * mc + (g >>> 1)] |= (byte) (nib << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, v, mb);
    }

    private float widen(short bits) {
        return dtype == DType.F16 ? HalfFloat.f16ToFloat(bits) : HalfFloat.bf16ToFloat(bits);
    }

    /** y[yOff + r] = (W x)[r] for one token, x[xOff..xOff+cols); split over the pool by row blocks. */
    public void decode(float[] x, int xOff, float[] y, int yOff) {
        float[] xp = paddedInput(x, xOff);
        Parallel.forRange(rowBlocks, 16, (from, to) -> decodeRowBlocks(xp, y, yOff, from, to));
    }

    /** Rows per row block of {@link #decodeRowBlocks}: {@link Sparse24Kernels#LANES}. */
    @Override
    public int blockRows() {
        return Sparse24Kernels.LANES;
    }

    /** Single-threaded decode of row blocks [rbFrom, rbTo) ({@link #blockRows()} rows each); {@code xp} from {@link #paddedInput}. */
    @Override
    public void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo) {
        switch (dtype) {
            case BF16 -> Sparse24Kernels.decodeBf16(vals16, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
            case F16 -> Sparse24Kernels.decodeF16(vals16, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
            default -> Sparse24Kernels.decodeF32(vals32, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
        }
    }

    /** Length of a padded input row: a multiple of 8. */
    private int paddedCols() {
        return Sparse24Kernels.roundUp(cols, 8);
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
        boolean tiled = dtype == DType.BF16;
        int prefilled = tiled ? tokens / Sparse24Kernels.TOKEN_TILE * Sparse24Kernels.TOKEN_TILE
                : tokens >= PREFILL_MIN_TOKENS ? tokens : 0;
        if (prefilled > 0) {
            int tp = Sparse24Kernels.roundUp(prefilled, 8);
            float[] xt = Sparse24Kernels.transpose(x, 0, prefilled, cols, tp);
            Parallel.forRange(rows, 8, (from, to) -> prefillRows(xt, tp, prefilled, y, rows, 0, from, to));
        }
        int t = prefilled;
        int quads = tiled ? (tokens - t) / 4 : 0;
        if (quads > 0) multiplyInFours(x, y, t, quads);
        for (t += 4 * quads; t < tokens; t++) decode(x, t * cols, y, t * rows);
    }

    /** Tokens [t0, t0 + 4*quads) of {@link #multiply} with {@link Sparse24Kernels#decodeBf16Four}. */
    private void multiplyInFours(float[] x, float[] y, int t0, int quads) {
        int cp = paddedCols();
        float[] xp = new float[4 * quads * cp];
        for (int t = 0; t < 4 * quads; t++) System.arraycopy(x, (t0 + t) * cols, xp, t * cp, cols);
        // row block outermost: its rows of weights stay in cache while every quad of tokens reads them
        Parallel.forRange(rowBlocks, 2, (from, to) -> {
            for (int rb = from; rb < to; rb++)
                for (int q = 0; q < quads; q++)
                    Sparse24Kernels.decodeBf16Four(vals16, meta, groups, xp, 4 * q * cp, cp, y, (t0 + 4 * q) * rows,
                            rows, rows, rb, rb + 1);
        });
    }

    /** Single-threaded prefill of rows [from, to) from the transposed input (see {@link Sparse24Kernels#prefill}). */
    public void prefillRows(float[] xt, int tp, int tokens, float[] y, int yStride, int yOff, int from, int to) {
        Sparse24Kernels.prefill(vals16, vals32, dtype == DType.F16, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to);
    }
}
