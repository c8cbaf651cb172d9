package armor.runtime.linear;

import armor.runtime.kernels.DenseInt4MatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.Sparse24Int4Kernels;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A 2:4 core whose kept values are 4-bit codes ({@link Int4Matrix} of {@code rows × cols/2} kept values, groups
 * of G/2 kept values for G dense columns) with the positions of {@link Sparse24Core}; repacked at load into
 * {@link Sparse24Int4Kernels}' layout (eight kept values and their four groups' positions per row and word, rows in
 * lanes) in the Java heap. One token runs the decode kernel, a batch four tokens a pass ({@link
 * Sparse24Int4Kernels#decodeFour}); whole tiles of tokens run the 2:4 prefill kernel on chunks dequantized into its
 * float32 layout (the kept half only).
 */
public final class Sparse24Int4Matrix implements SparseCore {
    private static final int GRAIN = 2;
    private static final int R = DenseInt4MatMul.ROWS;
    /** Rows per prefill chunk dequantized into the float32 2:4 layout (≤ 1 MiB at 2048 columns: stays in L2). */
    private static final int PREFILL_ROWS = 256;

    private final int rows, cols, words, scaleGroups, wordsPerScale, rowBlocks, keptGroup;
    private final int[] vals;
    private final short[] positions;
    private final float[] scales, zeroScales;
    private final byte[] zeroPoints;

    /**
     * @param values   the kept values, {@code rows × cols/2}, as {@code P.sparse_values}
     * @param meta     {@code rows × ceil(cols/8)} bytes of positions as {@code P.sparse_meta}; every nibble validated
     * @param metaName names the metadata in errors
     */
    public Sparse24Int4Matrix(Int4Matrix values, int cols, MemorySegment meta, String metaName) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 core: " + cols + " input columns is not a multiple of 4");
        if (values.cols() * 2 != cols)
            throw new IllegalArgumentException("2:4 core: " + values.cols() + " kept values a row, expected " + cols / 2);
        int half = cols / 2, gk = values.groupSize();
        if (gk != half && gk % 8 != 0)
            throw new IllegalArgumentException("2:4 core: scale groups of " + gk + " kept values (" + 2 * gk
                    + " dense columns), expected a multiple of 8 kept values (16 columns) or the whole row");
        this.rows = values.rows();
        this.cols = cols;
        this.keptGroup = gk;
        this.words = (half + 7) / 8;
        this.scaleGroups = values.groupsPerRow();
        this.wordsPerScale = gk == half ? words : gk / 8;
        this.rowBlocks = (rows + R - 1) / R;
        this.vals = new int[rowBlocks * words * R];
        this.positions = new short[vals.length];
        this.scales = new float[rowBlocks * scaleGroups * R];
        this.zeroPoints = values.zeroPoints();
        this.zeroScales = values.symmetric() ? null : new float[scales.length];
        int groups = cols / 4, mc = Sparse24Core.metaCols(cols);
        byte[] q = values.codes();
        for (int r = 0; r < rows; r++) {
            int rb = r / R, lane = r % R;
            for (int k = 0; k < half; k++) vals[(rb * words + k / 8) * R + lane] |= (q[r * half + k] & 15) << (4 * (k % 8));
            for (int g = 0; g < 4 * words; g++) {
                int nib = 0x4; // a padding group: positions 0, 1 with codes 0
                if (g < groups) {
                    int b = meta.get(ValueLayout.JAVA_BYTE, (long) r * mc + g / 2) & 0xff;
                    nib = (g & 1) == 0 ? b & 15 : b >>> 4;
                    if (!Sparse24Core.validNibble(nib))
                        throw new IllegalArgumentException(metaName + ": row " + r + ", group " + g + " (columns " + 4 * g + ".." + (4 * g + 3)
                                + ") has metadata nibble " + nib + " (positions " + (nib & 3) + "," + (nib >>> 2)
                                + "), expected exactly two distinct kept positions p0 < p1");
                }
                int i = (rb * words + g / 4) * R + lane;
                positions[i] = (short) (positions[i] | nib << (4 * (g % 4)));
            }
            if ((groups & 1) == 1 && (meta.get(ValueLayout.JAVA_BYTE, (long) r * mc + mc - 1) & 0xf0) != 0)
                throw new IllegalArgumentException(metaName + ": row " + r + " has a non-zero pad nibble after its last group");
            for (int s = 0; s < scaleGroups; s++) {
                int i = (rb * scaleGroups + s) * R + lane;
                scales[i] = values.scales()[r * scaleGroups + s];
                if (zeroScales != null) zeroScales[i] = scales[i] * values.zero(r, s);
            }
        }
    }

    /** A float32 core's kept values quantized to 4 bits with one scale (and zero point) per row and {@code group} dense columns. */
    public static Sparse24Int4Matrix quantize(Sparse24Core core, int group, boolean symmetric) {
        Int4Matrix q = Int4Quantizer.quantize(core.values(), core.rows(), core.cols() / 2, group / 2, symmetric);
        return new Sparse24Int4Matrix(q, core.cols(), MemorySegment.ofArray(core.meta()), "2:4 core metadata");
    }

    /** The core with its kept values dequantized (float32) and positions in the checkpoint layout. */
    @Override
    public Sparse24Core toCore() {
        int half = cols / 2, mc = Sparse24Core.metaCols(cols), groups = cols / 4;
        float[] v = new float[rows * half];
        byte[] mb = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            int rb = r / R, lane = r % R;
            for (int k = 0; k < half; k++) {
                int code = (vals[(rb * words + k / 8) * R + lane] << (28 - 4 * (k % 8))) >> 28, s = (k / keptGroup);
                int zero = zeroPoints == null ? 0 : zeroPoints[r * scaleGroups + s];
                v[r * half + k] = (code - zero) * scales[(rb * scaleGroups + s) * R + lane];
            }
            for (int g = 0; g < groups; g++) {
                int nib = (positions[(rb * words + g / 4) * R + lane] >>> (4 * (g % 4))) & 15;
                mb[r * mc + g / 2] |= (byte) (nib << ((g & 1) * 4));
            }
        }
        return new Sparse24Core(rows, cols, v, mb);
    }

    /** Dense input columns per scale. */
    public int groupSize() {
        return 2 * keptGroup;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public int blockRows() {
        return R;
    }

    @Override
    public int paddedCols() {
        return words * Sparse24Int4Kernels.COLS;
    }

    @Override
    public void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo) {
        Sparse24Int4Kernels.decode(vals, positions, scales, zeroScales, words, scaleGroups, wordsPerScale, xp, y, yOff, rows, rbFrom, rbTo);
    }

    /**
     * Whole tiles of tokens ({@link Sparse24Kernels#TOKEN_TILE}) through the 2:4 prefill kernel on chunks dequantized
     * into its float32 layout (only the kept half multiplied); what remains four tokens a pass, each kept value widened
     * and its permute's indices computed once for the four, then one by one. (Row blocks dequantized dense for the
     * rest, as before, cost more than decoding token by token: one 8192 × 2048 layer, AVX2, 2 threads, 16 tokens 16.9
     * ms against 10.2 token by token and 8.1 four at a time.)
     */
    @Override
    public void multiply(float[] x, float[] y, int tokens) {
        int prefilled = tokens / Sparse24Kernels.TOKEN_TILE * Sparse24Kernels.TOKEN_TILE;
        if (prefilled > 0) {
            int tp = Sparse24Kernels.roundUp(prefilled, 8);
            float[] xt = Sparse24Kernels.transpose(x, 0, prefilled, cols, tp);
            int blocks8 = (rows + 7) / 8;
            Parallel.forRange(blocks8, PREFILL_ROWS / 8, (from, to) -> prefill(xt, tp, prefilled, y, from, to));
        }
        int t = prefilled, quads = (tokens - t) / 4;
        if (quads > 0) multiplyInFours(x, y, t, quads);
        float[] xp = inputBuffer();
        for (t += 4 * quads; t < tokens; t++) {
            System.arraycopy(x, t * cols, xp, 0, cols);
            int yOff = t * rows;
            Parallel.forRange(rowBlocks, GRAIN, (a, b) -> decodeRowBlocks(xp, y, yOff, a, b));
        }
    }

    /** 8-row blocks [b8From, b8To) through {@link Sparse24Kernels#prefillDequantized}, {@link #PREFILL_ROWS} rows a chunk. */
    private void prefill(float[] xt, int tp, int tokens, float[] y, int b8From, int b8To) {
        int groups = cols / 4;
        Sparse24Kernels.prefillDequantized((b0, b1, v32, m32) -> Sparse24Int4Kernels.toFloatLayout(vals, positions, scales, zeroScales,
                words, scaleGroups, wordsPerScale, groups, rows, b0, b1, v32, m32), rows, groups, PREFILL_ROWS / 8, b8From, b8To, xt, tp, tokens, y);
    }

    @Override
    public void decodeFourRowBlock(float[] xp, int xOff, float[] y, int yOff, int rb) {
        Sparse24Int4Kernels.decodeFour(vals, positions, scales, zeroScales, words, scaleGroups, wordsPerScale, xp, xOff,
                paddedCols(), y, yOff, rows, rows, rb, rb + 1);
    }

    @Override
    public long bytes() {
        return WeightFormat.TWO_FOUR_INT4.weightBytes(rows, cols, groupSize()) + (zeroPoints == null ? 0 : (long) rows * scaleGroups / 2);
    }

    @Override
    public WeightFormat format(Structure structure) {
        return WeightFormat.of(structure, Element.INT4);
    }
}
