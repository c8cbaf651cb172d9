package armor.runtime.linear;

import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.Sparse24Int8Kernels;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;

import java.lang.foreign.MemorySegment;

/**
 * A 2:4 core with int8 kept values, repacked at load into {@link Sparse24Int8Kernels}' layout: the four kept values of
 * a pair of groups in one {@code int}, their positions in one byte, one float32 scale per row and group of dense
 * columns; rows interleaved in blocks of {@link Sparse24Int8Kernels#ROWS} (16 on CPUs with 512-bit vectors), padded
 * with zero values. One token runs the decode kernel, four at a time its four-token form, whole token tiles the float32
 * prefill kernel on chunks dequantized into the float layout (paid once per chunk, not once per token).
 */
public final class Sparse24Int8Matrix implements SparseCore {
    /** Rows per prefill chunk: its values dequantized to float32 (256 rows: ≤ 1 MiB at 2048 columns). */
    private static final int PREFILL_ROWS = 256;

    private final int rows, cols, groups, pairs, blockRows, rowBlocks;
    private final int groupSize, scaleGroups, pairsPerScale;
    private final int[] vals;
    private final byte[] meta;
    private final float[] scales;

    private Sparse24Int8Matrix(int rows, int cols, int groupSize) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: " + cols + " input columns is not a multiple of 4");
        if (groupSize <= 0 || cols % groupSize != 0 || (groupSize != cols && groupSize % 8 != 0))
            throw new IllegalArgumentException("2:4 core: scale group of " + groupSize + " columns, expected a multiple of 8 dividing "
                    + cols + ", or the whole row");
        this.rows = rows;
        this.cols = cols;
        this.groups = cols / 4;
        this.pairs = (groups + 1) / 2;
        this.blockRows = Sparse24Int8Kernels.ROWS;
        this.rowBlocks = (rows + blockRows - 1) / blockRows;
        long n = (long) rowBlocks * blockRows * pairs * 4;
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("2:4 core " + rows + "×" + cols + " is too large for one layer");
        this.groupSize = groupSize;
        this.scaleGroups = cols / groupSize;
        this.pairsPerScale = groupSize == cols ? pairs : groupSize / 8;
        this.vals = new int[rowBlocks * pairs * blockRows];
        this.meta = new byte[rowBlocks * pairs * blockRows];
        this.scales = new float[rowBlocks * scaleGroups * blockRows];
        // the pad group of an odd group count: positions (0, 1) in the high nibble, values 0
        if ((groups & 1) == 1)
            for (int rb = 0; rb < rowBlocks; rb++)
                for (int lane = 0; lane < blockRows; lane++) meta[(rb * pairs + pairs - 1) * blockRows + lane] = 0x40;
    }

    /**
     * An int8 core: {@code values} are the kept values ({@code rows × cols/2}, as {@code P.sparse_values}) with group
     * scales over {@code values.groupSize()} kept values, i.e. groups of twice as many dense columns; {@code meta}
     * ({@code rows × ceil(cols/8)} uint8) as in {@link Sparse24Core}, every nibble validated ({@code metaName} names
     * the tensor in the error).
     */
    public static Sparse24Int8Matrix fromInt8(Int8Matrix values, int cols, MemorySegment meta, String metaName) {
        if (values.cols() * 2 != cols)
            throw new IllegalArgumentException("2:4 core: " + values.cols() + " kept values a row, expected " + cols / 2);
        int rows = values.rows();
        Sparse24Int8Matrix m = new Sparse24Int8Matrix(rows, cols, 2 * values.groupSize());
        int half = cols / 2, mc = Sparse24Core.metaCols(cols), gpr = values.groupsPerRow(), br = m.blockRows;
        byte[] v = values.values();
        float[] sc = values.scales();
        for (int r = 0; r < rows; r++) {
            int rb = r / br, lane = r % br;
            for (int g = 0; g < m.groups; g++) {
                int nib = Sparse24Matrix.nibble(meta, (long) r * mc, g, r, metaName);
                int vi = (rb * m.pairs + (g >>> 1)) * br + lane, shift = (g & 1) * 16;
                m.meta[vi] |= (byte) (nib << ((g & 1) * 4));
                m.vals[vi] |= ((v[r * half + 2 * g] & 0xff) | (v[r * half + 2 * g + 1] & 0xff) << 8) << shift;
            }
            Sparse24Matrix.checkPad(meta, (long) r * mc + mc - 1, m.groups, r, metaName);
            for (int s = 0; s < m.scaleGroups; s++) m.scales[(rb * m.scaleGroups + s) * br + lane] = sc[r * gpr + s];
        }
        return m;
    }

    /** Quantizes a float32 core's kept values to int8 with one scale per row and {@code groupSize} dense columns. */
    public static Sparse24Int8Matrix quantize(Sparse24Core core, int groupSize) {
        Int8Matrix q = Int8Quantizer.quantize(core.values(), core.rows(), core.cols() / 2, groupSize / 2);
        return fromInt8(q, core.cols(), MemorySegment.ofArray(core.meta()), "2:4 core metadata");
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** Dense input columns per scale. */
    public int groupSize() {
        return groupSize;
    }

    @Override
    public WeightFormat format(Structure structure) {
        return WeightFormat.of(structure, Element.INT8);
    }

    @Override
    public long bytes() {
        return format(Structure.TWO_FOUR).weightBytes(rows, cols, groupSize);
    }

    /** The core in the checkpoint's layout, each kept value its code times its row's group scale. */
    @Override
    public Sparse24Core toCore() {
        int half = cols / 2, mc = Sparse24Core.metaCols(cols);
        float[] v = new float[rows * half];
        byte[] mb = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            int rb = r / blockRows, lane = r % blockRows;
            for (int g = 0; g < groups; g++) {
                int i = (rb * pairs + (g >>> 1)) * blockRows + lane;
                float scale = scales[(rb * scaleGroups + (g >>> 1) / pairsPerScale) * blockRows + lane];
                for (int k = 0; k < 2; k++) v[r * half + 2 * g + k] = (byte) (vals[i] >>> ((g & 1) * 16 + 8 * k)) * scale;
                int nib = (meta[i] >>> ((g & 1) * 4)) & 15;
                mb[r * mc + (g >>> 1)] |= (byte) (nib << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, v, mb);
    }

    /** Rows per row block: {@link Sparse24Int8Kernels#ROWS}. */
    @Override
    public int blockRows() {
        return blockRows;
    }

    @Override
    public void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo) {
        Sparse24Int8Kernels.decode(vals, meta, scales, pairs, scaleGroups, pairsPerScale, xp, y, yOff, rows, rbFrom, rbTo);
    }

    /** Length of a padded input row: a multiple of 8, plus a whole row block's vector for the last pair's load. */
    @Override
    public int paddedCols() {
        return Sparse24Kernels.roundUp(cols, 8) + blockRows;
    }

    /**
     * Whole tiles of tokens through the prefill path ({@link #prefill}), the rest four tokens at a time
     * ({@link Sparse24Int8Kernels#decodeFour}), then one by one.
     */
    @Override
    public void multiply(float[] x, float[] y, int tokens) {
        int prefilled = tokens / Sparse24Kernels.TOKEN_TILE * Sparse24Kernels.TOKEN_TILE;
        if (prefilled > 0) {
            int tp = Sparse24Kernels.roundUp(prefilled, 8);
            float[] xt = Sparse24Kernels.transpose(x, 0, prefilled, cols, tp);
            Parallel.forRange(rowBlocks, 4, (from, to) -> prefill(xt, tp, prefilled, y, from, to));
        }
        int t = prefilled, quads = (tokens - t) / 4;
        if (quads > 0) multiplyInFours(x, y, t, quads);
        for (t += 4 * quads; t < tokens; t++) {
            float[] xp = inputBuffer();
            System.arraycopy(x, t * cols, xp, 0, cols);
            int yOff = t * rows;
            Parallel.forRange(rowBlocks, 16, (from, to) -> decodeRowBlocks(xp, y, yOff, from, to));
        }
    }

    /** Row blocks [rbFrom, rbTo) through {@link Sparse24Kernels#prefillDequantized}, {@link #PREFILL_ROWS} rows a chunk. */
    private void prefill(float[] xt, int tp, int tokens, float[] y, int rbFrom, int rbTo) {
        int b8From = rbFrom * blockRows / 8, b8To = Math.min((rows + 7) / 8, rbTo * blockRows / 8);
        Sparse24Kernels.prefillDequantized((b0, b1, v32, m32) -> Sparse24Int8Kernels.toFloatLayout(vals, meta, scales, groups, pairs,
                scaleGroups, pairsPerScale, b0, b1, v32, m32), rows, groups, PREFILL_ROWS / 8, b8From, b8To, xt, tp, tokens, y);
    }

    @Override
    public void decodeFourRowBlock(float[] xp, int xOff, float[] y, int yOff, int rb) {
        Sparse24Int8Kernels.decodeFour(vals, meta, scales, pairs, scaleGroups, pairsPerScale, xp, xOff, paddedCols(), y, yOff,
                rows, rows, rb, rb + 1);
    }
}
