package armor.runtime.linear;

import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.IntFunction;

/**
 * A 2:4 core with float values, repacked at load into the kernels' row-interleaved layout (see {@link Sparse24Kernels}),
 * values kept in the stored dtype (bf16, f16: both kept values of a row and group in one {@code int}; f32:
 * {@code float[]}). Rows are padded to a multiple of 8 with zero values; the padded rows are computed and dropped.
 * How each element type is kept and multiplied is its {@link Kernels}, which the {@link Element} gives
 * ({@link Element#twoFour()}). int8 values are {@link Sparse24Int8Matrix}, 4-bit ones {@link Sparse24Int4Matrix}.
 */
public final class Sparse24Matrix implements SparseCore {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Prefill with fewer tokens than this runs the decode kernel once per token (no transpose, streams weights). */
    static final int PREFILL_MIN_TOKENS = 4;

    /**
     * How one float element type is kept in the row-interleaved layout and which kernels read it: one record per
     * {@link Element} (BF16, F16, F32). Values of a row block and group sit at {@code slot = rowBlock * groups + g};
     * 16-bit types keep both kept values of a row in one {@code int} ({@code slot * 8 + lane}), f32 in two floats
     * ({@code slot * 16 + lane} and 8 after it).
     */
    record Kernels<W>(IntFunction<W> allocate, Put<W> put, Load<W> load, Get<W> get, Decode<W> decode, Four<W> four,
                      Prefill<W> prefill) {
        static final Kernels<int[]> BF16 = half(HalfFloat::floatToBf16, HalfFloat::bf16ToFloat, false,
                Sparse24Kernels::decodeBf16, Sparse24Kernels::decodeBf16Four);
        static final Kernels<int[]> F16 = half(HalfFloat::floatToF16, HalfFloat::f16ToFloat, true, Sparse24Kernels::decodeF16, null);
        static final Kernels<float[]> F32 = new Kernels<>(slots -> new float[slots * 16],
                (v, slot, lane, v0, v1) -> {
                    v[slot * 16 + lane] = v0;
                    v[slot * 16 + lane + 8] = v1;
                },
                (v, slot, lane, src, i) -> {
                    v[slot * 16 + lane] = src.getAtIndex(LE_FLOAT, i);
                    v[slot * 16 + lane + 8] = src.getAtIndex(LE_FLOAT, i + 1);
                },
                (v, slot, lane, second) -> v[slot * 16 + lane + (second ? 8 : 0)],
                Sparse24Kernels::decodeF32, null,
                (v, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to) ->
                        Sparse24Kernels.prefill(null, v, false, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to));

        /** A 16-bit type: both kept values of a row and group in one {@code int}, the low half first. */
        private static Kernels<int[]> half(HalfFloat.Round round, HalfFloat.Widen widen, boolean f16, Decode<int[]> decode,
                                           Four<int[]> four) {
            return new Kernels<>(slots -> new int[slots * 8],
                    (v, slot, lane, v0, v1) -> putBits(v, slot, lane, round.round(v0), round.round(v1)),
                    Kernels::loadBits, (v, slot, lane, second) -> widen.widen(bits(v, slot, lane, second)), decode, four,
                    (v, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to) ->
                            Sparse24Kernels.prefill(v, null, f16, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to));
        }

        private static void putBits(int[] v, int slot, int lane, short v0, short v1) {
            v[slot * 8 + lane] = (v0 & 0xffff) | (v1 << 16);
        }

        private static void loadBits(int[] v, int slot, int lane, MemorySegment src, long i) {
            putBits(v, slot, lane, src.getAtIndex(LE_SHORT, i), src.getAtIndex(LE_SHORT, i + 1));
        }

        private static short bits(int[] v, int slot, int lane, boolean second) {
            int pair = v[slot * 8 + lane];
            return (short) (second ? pair >>> 16 : pair);
        }

        /** Stores a pair of kept values given as float32, rounded to the type. */
        interface Put<W> {
            void put(W vals, int slot, int lane, float v0, float v1);
        }

        /** Stores the pair of stored values at {@code i, i + 1} of a checkpoint's little-endian tensor, bits unchanged. */
        interface Load<W> {
            void load(W vals, int slot, int lane, MemorySegment src, long i);
        }

        /** One kept value (the first or second of its group) widened to float32; exact. */
        interface Get<W> {
            float get(W vals, int slot, int lane, boolean second);
        }

        /** As {@link Sparse24Kernels#decodeBf16}. */
        interface Decode<W> {
            void decode(W vals, int[] meta, int groups, float[] xp, float[] y, int yOff, int rows, int rbFrom, int rbTo);
        }

        /** As {@link Sparse24Kernels#decodeBf16Four}: four tokens a pass over the weights. */
        interface Four<W> {
            void decode(W vals, int[] meta, int groups, float[] xp, int xOff, int cp, float[] y, int yOff, int yStride,
                        int rows, int rbFrom, int rbTo);
        }

        /** As {@link Sparse24Kernels#prefill}, for this type's values. */
        interface Prefill<W> {
            void prefill(W vals, int[] meta, int groups, float[] xt, int tp, int tokens, float[] y, int yStride, int yOff,
                         int from, int to);
        }
    }

    /** The stored values with the kernels of their type (the type variable kept together). */
    private record Values<W>(Kernels<W> kernels, W stored) {
        static <W> Values<W> allocate(Kernels<W> kernels, int slots) {
            return new Values<>(kernels, kernels.allocate().apply(slots));
        }

        void put(int slot, int lane, float v0, float v1) {
            kernels.put().put(stored, slot, lane, v0, v1);
        }

        void load(int slot, int lane, MemorySegment src, long i) {
            kernels.load().load(stored, slot, lane, src, i);
        }

        float get(int slot, int lane, boolean second) {
            return kernels.get().get(stored, slot, lane, second);
        }

        void decode(int[] meta, int groups, float[] xp, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
            kernels.decode().decode(stored, meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
        }

        void decodeFour(int[] meta, int groups, float[] xp, int xOff, int cp, float[] y, int yOff, int yStride, int rows,
                        int rbFrom, int rbTo) {
            kernels.four().decode(stored, meta, groups, xp, xOff, cp, y, yOff, yStride, rows, rbFrom, rbTo);
        }

        void prefill(int[] meta, int groups, float[] xt, int tp, int tokens, float[] y, int yStride, int yOff, int from, int to) {
            kernels.prefill().prefill(stored, meta, groups, xt, tp, tokens, y, yStride, yOff, from, to);
        }
    }

    private final int rows, cols, groups, rowBlocks;
    private final Element element;
    private final Values<?> values;
    private final int[] meta;

    private Sparse24Matrix(int rows, int cols, DType dtype) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: " + cols + " input columns is not a multiple of 4");
        Element e = Element.of(dtype);
        if (e == null || e.twoFour() == null)
            throw new IllegalArgumentException("2:4 core: dtype " + dtype + " is not supported, expected "
                    + Element.dtypes(x -> x.twoFour() != null));
        this.rows = rows;
        this.cols = cols;
        this.groups = cols / 4;
        this.element = e;
        this.rowBlocks = (rows + Sparse24Kernels.LANES - 1) / Sparse24Kernels.LANES;
        long n = (long) rowBlocks * Sparse24Kernels.LANES * groups * 2;
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " is too large for one layer");
        this.values = Values.allocate(e.twoFour(), rowBlocks * groups);
        this.meta = new int[rowBlocks * groups];
    }

    /** Repacks a float32 core, rounding its values to {@code dtype}. */
    public static Sparse24Matrix fromCore(Sparse24Core core, DType dtype) {
        Sparse24Matrix m = new Sparse24Matrix(core.rows(), core.cols(), dtype);
        int half = core.cols() / 2;
        for (int r = 0; r < core.rows(); r++) {
            for (int g = 0; g < m.groups; g++) {
                int src = r * half + 2 * g;
                m.values.put(m.slot(r, g), r & 7, core.values()[src], core.values()[src + 1]);
                m.putNibble(r, g, core.nibble(r, g));
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
                m.values.load(m.slot(r, g), r & 7, values, vrow + 2L * g);
                m.putNibble(r, g, nibble(meta, mrow, g, r, metaName));
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

    private int slot(int r, int g) {
        return (r >>> 3) * groups + g;
    }

    private void putNibble(int r, int g, int nib) {
        meta[slot(r, g)] |= nib << (4 * (r & 7));
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
        return element.dtype();
    }

    /** The row of a layer of {@code structure} (2:4 or ARMOR) around this core: the core's dtype is the format's element. */
    @Override
    public WeightFormat format(Structure structure) {
        return WeightFormat.of(structure, element);
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
                v[r * half + 2 * g] = values.get(slot(r, g), r & 7, false);
                v[r * half + 2 * g + 1] = values.get(slot(r, g), r & 7, true);
                int nib = (meta[slot(r, g)] >>> (4 * (r & 7))) & 15;
                mb[r * mc + (g >>> 1)] |= (byte) (nib << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, v, mb);
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
        values.decode(meta, groups, xp, y, yOff, rows, rbFrom, rbTo);
    }

    /** Length of a padded input row: a multiple of 8. */
    @Override
    public int paddedCols() {
        return Sparse24Kernels.roundUp(cols, 8);
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
        // one it was slower than dense); a type with a four-token decode kernel (bf16) gives it whole tiles only and
        // the rest to the decode layout, four tokens per pass, then one by one. Other types give every batch of at
        // least PREFILL_MIN_TOKENS to prefill.
        boolean tiled = values.kernels().four() != null;
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

    /** The type's four-token decode kernel (bf16 only: {@link #multiply} gives f16 and f32 batches to prefill). */
    @Override
    public void decodeFourRowBlock(float[] xp, int xOff, float[] y, int yOff, int rb) {
        values.decodeFour(meta, groups, xp, xOff, paddedCols(), y, yOff, rows, rows, rb, rb + 1);
    }

    /** Single-threaded prefill of rows [from, to) from the transposed input (see {@link Sparse24Kernels#prefill}). */
    public void prefillRows(float[] xt, int tp, int tokens, float[] y, int yStride, int yOff, int from, int to) {
        values.prefill(meta, groups, xt, tp, tokens, y, yStride, yOff, from, to);
    }
}
