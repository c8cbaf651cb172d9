package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = W x} for a dense weight of 4-bit codes with one scale (and zero point) per row and group of columns
 * ({@code armor.runtime.linear.DenseInt4Linear}), activations float32. The layout keeps compressed-tensors' words
 * (eight columns of a row in one int, column {@code 8j+i} in bits {@code 4i..4i+3}, stored as the code plus 8) and
 * puts {@link #ROWS} rows in the lanes of a vector: word j of row {@code rb*ROWS + i} is
 * {@code codes[(rb*words + j)*ROWS + i]}, so one load gives eight columns of every row of the block, and a row
 * block's words are one sequential stream. Scales and offsets ({@code scale × (zero point + 8)}, the value of a
 * stored 0) are {@code [(rb*groups + g)*ROWS + i]}. Padding rows have scale and offset 0.
 *
 * <p>Decode (one token) takes the nibbles out without shifting them: {@code word & (15 << 4k)} converted to float is
 * {@code u·16^k}, exactly (four significant bits), so the input is scaled by {@code 16^-k} once per token instead
 * ({@link #prepareInput}; powers of two, exact) and each nibble costs one AND, one conversion and one multiply-add
 * with a broadcast input (the top nibble a shift). The unsigned codes are corrected per group with the group's input
 * sum: {@code Σ (u - z)·s·x = s·Σ u·x - s·z·Σ x}; the scale multiplies each group's sum once.
 *
 * <p>Several tokens dequantize a row block into a small float buffer, column by column with rows in lanes
 * ({@link #dequantizeBlock}), and multiply it with four tokens at a time ({@link #blockTimesTokens}).
 */
public final class DenseInt4MatMul {
    private static final VectorSpecies<Integer> I = Sparse24Int8Kernels.ROWS == 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = I.length() == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    /** Rows per row block: the lanes of the widest int vector the CPU has (16 or 8). */
    public static final int ROWS = I.length();
    /** Columns per word. */
    public static final int COLS = 8;

    private DenseInt4MatMul() {}

    /**
     * One token's input as {@link #decode} reads it: {@code xs[c] = x[xOff + c]·16^-(c mod 8)} (the top nibble's
     * column unscaled), zero from {@code cols} to {@code xs.length} (a whole number of words); and
     * {@code sums[g] = Σ x} over group g's real columns.
     */
    public static void prepareInput(float[] x, int xOff, int cols, int group, float[] xs, float[] sums) {
        for (int c = 0; c < cols; c++) {
            int k = c & 7;
            xs[c] = k == 7 ? x[xOff + c] : x[xOff + c] * Math.scalb(1f, -4 * k);
        }
        java.util.Arrays.fill(xs, cols, xs.length, 0f);
        for (int g = 0, c = 0; g < sums.length; g++) {
            float s = 0;
            for (int end = Math.min(cols, c + group); c < end; c++) s += x[xOff + c];
            sums[g] = s;
        }
    }

    /** Nibble k of every lane, times 16^k, as floats (k < 7). */
    private static FloatVector nibble(IntVector v, int k) {
        return (FloatVector) v.and(15 << (4 * k)).convert(VectorOperators.I2F, 0);
    }

    /**
     * One token, row blocks [rbFrom, rbTo): {@code y[yOff + r] = Σ_c W[r,c]·x[c]} for the real rows ({@code r < rows}).
     * {@code xs}, {@code sums} from {@link #prepareInput}; a group is {@code wordsPerGroup} words (the last may be
     * shorter when the group is a whole row whose length is not a multiple of 8).
     */
    public static void decode(int[] codes, float[] scales, float[] offsets, int words, int groups, int wordsPerGroup,
                              float[] xs, float[] sums, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector total = FloatVector.zero(F);
            int o = rb * words * ROWS, so = rb * groups * ROWS, j = 0;
            for (int g = 0; g < groups; g++, so += ROWS) {
                int jEnd = Math.min(words, j + wordsPerGroup);
                // one accumulator per nibble: with two, each word's eight multiply-adds were two chains of four
                // dependent FMAs and the kernel waited on FMA latency (bench-layers, AVX2: 2 -> 4 chains 1.27x, 4 -> 8 ~4 %)
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F),
                        a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
                for (; j < jEnd; j++, o += ROWS) {
                    IntVector v = IntVector.fromArray(I, codes, o);
                    int c = COLS * j;
                    a0 = nibble(v, 0).fma(FloatVector.broadcast(F, xs[c]), a0);
                    a1 = nibble(v, 1).fma(FloatVector.broadcast(F, xs[c + 1]), a1);
                    a2 = nibble(v, 2).fma(FloatVector.broadcast(F, xs[c + 2]), a2);
                    a3 = nibble(v, 3).fma(FloatVector.broadcast(F, xs[c + 3]), a3);
                    a4 = nibble(v, 4).fma(FloatVector.broadcast(F, xs[c + 4]), a4);
                    a5 = nibble(v, 5).fma(FloatVector.broadcast(F, xs[c + 5]), a5);
                    a6 = nibble(v, 6).fma(FloatVector.broadcast(F, xs[c + 6]), a6);
                    FloatVector top = (FloatVector) v.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
                    a7 = top.fma(FloatVector.broadcast(F, xs[c + 7]), a7);
                }
                total = a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).fma(FloatVector.fromArray(F, scales, so), total);
                total = FloatVector.fromArray(F, offsets, so).fma(FloatVector.broadcast(F, -sums[g]), total);
            }
            if (rb * ROWS + ROWS <= rows) total.intoArray(y, yOff + rb * ROWS);
            else storeLastRows(total.toArray(), y, yOff, rb * ROWS, rows);
        }
    }

    /**
     * Row block rb dequantized into {@code wT[c*ROWS + i]} = W[rb*ROWS + i, c] for every column of its words
     * ({@code 8*words} columns; padding columns get {@code -offset}, which the caller never reads).
     */
    public static void dequantizeBlock(int[] codes, float[] scales, float[] offsets, int words, int groups, int wordsPerGroup,
                                       int rb, float[] wT) {
        int o = rb * words * ROWS;
        for (int j = 0; j < words; j++, o += ROWS) {
            int so = (rb * groups + Math.min(groups - 1, j / wordsPerGroup)) * ROWS;
            FloatVector s = FloatVector.fromArray(F, scales, so), neg = FloatVector.fromArray(F, offsets, so).neg();
            IntVector v = IntVector.fromArray(I, codes, o);
            for (int k = 0; k < COLS; k++) {
                IntVector u = (k == 0 ? v : v.lanewise(VectorOperators.LSHR, 4 * k)).and(15);
                ((FloatVector) u.convert(VectorOperators.I2F, 0)).fma(s, neg).intoArray(wT, (COLS * j + k) * ROWS);
            }
        }
    }

    /**
     * Rows [r0, r0 + rows) × columns [k0, k0 + kc) dequantized into {@code panel[k·rows + j]}
     * ({@link DenseGemm.Panel}): {@code r0} a multiple of {@link #ROWS} and {@code k0} of {@link #COLS}, so a word of a
     * row block is eight panel rows of {@code ROWS} lanes each, one vector store apiece (a last block of fewer than
     * {@code ROWS} rows stores only its real lanes).
     */
    public static void dequantizePanel(int[] codes, float[] scales, float[] offsets, int words, int groups, int wordsPerGroup,
                                       int r0, int rows, int k0, int kc, float[] panel) {
        float[] partial = null;
        int jFrom = k0 / COLS, jTo = (k0 + kc + COLS - 1) / COLS;
        for (int jb = 0; jb < rows; jb += ROWS) {
            int rb = (r0 + jb) / ROWS, lanes = Math.min(ROWS, rows - jb);
            if (lanes < ROWS && partial == null) partial = new float[ROWS];
            int o = (rb * words + jFrom) * ROWS;
            for (int j = jFrom; j < jTo; j++, o += ROWS) {
                int so = (rb * groups + Math.min(groups - 1, j / wordsPerGroup)) * ROWS;
                FloatVector s = FloatVector.fromArray(F, scales, so), neg = FloatVector.fromArray(F, offsets, so).neg();
                IntVector v = IntVector.fromArray(I, codes, o);
                int last = Math.min(COLS, k0 + kc - COLS * j);
                for (int k = 0; k < last; k++) {
                    IntVector u = (k == 0 ? v : v.lanewise(VectorOperators.LSHR, 4 * k)).and(15);
                    FloatVector w = ((FloatVector) u.convert(VectorOperators.I2F, 0)).fma(s, neg);
                    int dst = (COLS * j + k - k0) * rows + jb;
                    if (lanes == ROWS) w.intoArray(panel, dst);
                    else {
                        w.intoArray(partial, 0);
                        System.arraycopy(partial, 0, panel, dst, lanes);
                    }
                }
            }
        }
    }

    /**
     * A dequantized row block times several tokens: {@code y[yOff + t*yStride + r0 + i] = Σ_c wT[c*ROWS + i]·x[t*xStride + c]}
     * for {@code c < cols}, the block's real rows ({@code r0 + i < rows}) and tokens [0, tokens): {@code wT} is already
     * the K × rows panel {@link BlockGemm} multiplies, so its register tiles do it.
     */
    public static void blockTimesTokens(float[] wT, int cols, float[] x, int xStride, int tokens, float[] y, int yOff,
                                        int yStride, int r0, int rows) {
        BlockGemm.gemm(tokens, Math.min(ROWS, rows - r0), cols, x, 0, xStride, 1, wT, 0, ROWS, y, yOff + r0, yStride, false);
    }

    /**
     * The last row block's real rows (the rest is padding). Out of line for C2's inlining budget (as Sparse24Kernels);
     * callers store whole blocks themselves, since a vector passed to a method C2 declines to inline is boxed.
     */
    static void storeLastRows(float[] acc, float[] y, int yOff, int r0, int rows) {
        System.arraycopy(acc, 0, y, yOff + r0, rows - r0);
    }
}
