package armor.runtime.kernels;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU kernels for a 2:4 core in the row-interleaved layout of {@code armor.runtime.linear.Sparse24Matrix}:
 * rows in blocks of 8 (one row a lane); for row block {@code rb} and group {@code g} of four input columns,
 * {@code meta[rb*groups + g]} holds the 8 rows' nibbles ({@code p0 | p1 << 2}), lane i at bits 4i..4i+3, and the
 * kept values of row {@code 8rb+lane} are: for 16-bit dtypes both in one int,
 * {@code vals[(rb*groups + g)*8 + lane] = v0 | v1 << 16}, so that one 256-bit load and two ALU operations give
 * both value vectors (bf16: shift left 16 / mask the high half); for f32 {@code vals[((rb*groups + g)*2 + k)*8 + lane]}.
 *
 * <p>Decode (one token) keeps rows in lanes: per group it loads the two value vectors, widens them in registers,
 * and picks each lane's x among the group's four by a lane permute whose indices come from the nibbles. x is read
 * eight columns (two groups) at a time, so the caller passes x padded to a multiple of 8.
 *
 * <p>Prefill (many tokens) puts tokens in lanes instead: x is transposed into token tiles ({@link #transpose}), and
 * each kept value is broadcast and multiplied into the column it selects, so the multiply-adds are halved with no
 * permutes.
 *
 * <p>The decode species is fixed at 256 bits (8 floats): the layout interleaves 8 rows, and 256-bit vectors run at
 * the memory bandwidth on both AVX2 and AVX-512 machines. Prefill, bound by instruction issue, uses 512-bit token
 * vectors where the CPU has them.
 */
public final class Sparse24Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    public static final int LANES = 8;
    /** Shifts that bring lane i's first / second position to bits 0..1. */
    private static final IntVector SHIFT_P0 = IntVector.fromArray(I, new int[] {0, 4, 8, 12, 16, 20, 24, 28}, 0);
    private static final IntVector SHIFT_P1 = IntVector.fromArray(I, new int[] {2, 6, 10, 14, 18, 22, 26, 30}, 0);
    /**
     * Species of the prefill kernel's token vectors: 512 bits where the CPU has them (prefill is bound by
     * instruction issue, and a wider vector halves the loads and multiply-adds), else 256.
     */
    static final VectorSpecies<Float> PF = FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : F;
    private static final int PL = PF.length();
    /**
     * Token tile of the prefill kernel: four vectors (64 tokens on AVX-512, 32 on AVX2); eight accumulators. Callers
     * give the kernel whole tiles; inside, pairs of tiles ({@link #DOUBLE_TILE}) go first.
     */
    public static final int TOKEN_TILE = 4 * PL;
    /**
     * Two token tiles, eight vectors, run as one: every kept value's scalar work (its nibble, its column's address, its
     * widening and broadcast, about a dozen instructions, which bound the four-vector kernel at a quarter of the FMA
     * peak) then feeds sixteen multiply-adds instead of eight.
     */
    static final int DOUBLE_TILE = 2 * TOKEN_TILE;
    /**
     * Bytes of the x tile a prefill pass reads (16 bytes per group and token): two thirds of a 48 KiB L1, so that
     * the slice stays in L1 while every row of the chunk selects from it (16 KiB measured 5 % slower, 128 KiB 30 %).
     */
    static final int CHUNK_BYTES = 32 * 1024;

    private Sparse24Kernels() {}

    /** Widens 8 bf16 values to floats in registers: shift into the upper half of each int. */
    static FloatVector bf16x8(short[] a, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(S, a, off).convertShape(VectorOperators.S2I, I, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * Widens 8 IEEE f16 values to floats in registers: moves exponent and mantissa into float position and rescales
     * by 2^112, which is exact for normal and subnormal halves (weights are finite; inf/NaN are not preserved).
     */
    static FloatVector f16x8(short[] a, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(S, a, off).convertShape(VectorOperators.S2I, I, 0);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector mag = i.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return mag.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /**
     * Stores the rows of the last, partial row block (r0..rows-1). The full blocks are stored inline by the decode
     * kernels: a call taking the vector as argument was not inlined (C2's node-count cutoff), so the vector was
     * boxed and the kernels ran 15–25 % slower than the same loop with the store inline.
     */
    private static void storeLastRows(float[] acc, float[] y, int yOff, int r0, int rows) {
        System.arraycopy(acc, 0, y, yOff + r0, rows - r0);
    }

    /**
     * y[yOff + r] = Σ_c W[r,c]·x[c] for the rows of row blocks [rbFrom, rbTo); bf16 values. {@code x} has at least
     * {@code roundUp(4*groups, 8)} entries (zero padded).
     */
    public static void decodeBf16(int[] vals, int[] meta, int groups, float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int mi = rb * groups;
            int g = 0;
            for (; g + 1 < groups; g += 2, mi += 2) {
                IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                IntVector v0 = IntVector.fromArray(I, vals, mi * 8);
                IntVector v1 = IntVector.fromArray(I, vals, mi * 8 + 8);
                FloatVector x00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                FloatVector x11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                acc0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x00, acc0);
                acc1 = v0.and(0xFFFF0000).reinterpretAsFloats().fma(x01, acc1);
                acc0 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x10, acc0);
                acc1 = v1.and(0xFFFF0000).reinterpretAsFloats().fma(x11, acc1);
            }
            FloatVector sum = acc0.add(acc1);
            if (rb * LANES + LANES <= rows) sum.intoArray(y, yOff + rb * LANES);
            else storeLastRows(sum.toArray(), y, yOff, rb * LANES, rows);
            if (g < groups) addLastGroup(vals, meta, mi, false, x, 4 * g, y, yOff, rb * LANES, rows);
        }
    }

    /**
     * The last group of a row block when the group count is odd, added in scalars to its rows already in {@code y}
     * (those below {@code rows}): kept out of the kernels for C2's node budget, and taking and returning no vector,
     * since a vector crossing a call C2 declines is boxed ({@code KernelInliningTest}). Values are bf16, or IEEE f16
     * when {@code f16}, two to an int (position 0 in the low half); positions two bits each in {@code meta[mi]}.
     */
    private static void addLastGroup(int[] vals, int[] meta, int mi, boolean f16, float[] x, int xOff, float[] y, int yOff,
                                     int r0, int rows) {
        int m = meta[mi];
        for (int l = 0; l < LANES && r0 + l < rows; l++) {
            int v = vals[mi * 8 + l];
            short h0 = (short) v, h1 = (short) (v >>> 16);
            float w0 = f16 ? HalfFloat.f16ToFloat(h0) : HalfFloat.bf16ToFloat(h0);
            float w1 = f16 ? HalfFloat.f16ToFloat(h1) : HalfFloat.bf16ToFloat(h1);
            y[yOff + r0 + l] += w0 * x[xOff + ((m >>> (4 * l)) & 3)] + w1 * x[xOff + ((m >>> (4 * l + 2)) & 3)];
        }
    }

    /**
     * Four tokens at once, bf16 values: y[q*yStride + r] = Σ_c W[r,c]·x_q[c] for q = 0..3 and the rows of row blocks
     * [rbFrom, rbTo) ({@code y} indices offset by {@code yOff}), token q's input at {@code xp[xOff + q*cp ...]}
     * (each zero padded to {@code cp}, a multiple of 8).
     * The picks and the widened values of a group pair are computed once and used for the four tokens, so a small
     * batch (batched decode, short prompts) costs about one token's instructions per token instead of the
     * token-lane prefill kernel's scalar work per kept value, which made it slower than dense below 64 tokens.
     */
    public static void decodeBf16Four(int[] vals, int[] meta, int groups, float[] xp, int xOff, int cp, float[] y,
                                      int yOff, int yStride, int rows, int rbFrom, int rbTo) {
        int x0 = xOff, x1 = xOff + cp, x2 = x1 + cp, x3 = x2 + cp;
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            int mi = rb * groups;
            int g = 0;
            for (; g + 1 < groups; g += 2, mi += 2) {
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                IntVector i00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3);
                IntVector i01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3);
                IntVector i10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4);
                IntVector i11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4);
                IntVector v0 = IntVector.fromArray(I, vals, mi * 8);
                IntVector v1 = IntVector.fromArray(I, vals, mi * 8 + 8);
                FloatVector w00 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector w01 = v0.and(0xFFFF0000).reinterpretAsFloats();
                FloatVector w10 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector w11 = v1.and(0xFFFF0000).reinterpretAsFloats();
                int c = 4 * g;
                IntVector x = FloatVector.fromArray(F, xp, x0 + c).reinterpretAsInts();
                a0 = w10.fma(i10.selectFrom(x).reinterpretAsFloats(), w00.fma(i00.selectFrom(x).reinterpretAsFloats(), a0));
                b0 = w11.fma(i11.selectFrom(x).reinterpretAsFloats(), w01.fma(i01.selectFrom(x).reinterpretAsFloats(), b0));
                x = FloatVector.fromArray(F, xp, x1 + c).reinterpretAsInts();
                a1 = w10.fma(i10.selectFrom(x).reinterpretAsFloats(), w00.fma(i00.selectFrom(x).reinterpretAsFloats(), a1));
                b1 = w11.fma(i11.selectFrom(x).reinterpretAsFloats(), w01.fma(i01.selectFrom(x).reinterpretAsFloats(), b1));
                x = FloatVector.fromArray(F, xp, x2 + c).reinterpretAsInts();
                a2 = w10.fma(i10.selectFrom(x).reinterpretAsFloats(), w00.fma(i00.selectFrom(x).reinterpretAsFloats(), a2));
                b2 = w11.fma(i11.selectFrom(x).reinterpretAsFloats(), w01.fma(i01.selectFrom(x).reinterpretAsFloats(), b2));
                x = FloatVector.fromArray(F, xp, x3 + c).reinterpretAsInts();
                a3 = w10.fma(i10.selectFrom(x).reinterpretAsFloats(), w00.fma(i00.selectFrom(x).reinterpretAsFloats(), a3));
                b3 = w11.fma(i11.selectFrom(x).reinterpretAsFloats(), w01.fma(i01.selectFrom(x).reinterpretAsFloats(), b3));
            }
            int r0 = rb * LANES;
            if (r0 + LANES <= rows && g == groups) {
                a0.add(b0).intoArray(y, yOff + r0);
                a1.add(b1).intoArray(y, yOff + yStride + r0);
                a2.add(b2).intoArray(y, yOff + 2 * yStride + r0);
                a3.add(b3).intoArray(y, yOff + 3 * yStride + r0);
            } else {
                float[] sums = new float[4 * LANES];
                a0.add(b0).intoArray(sums, 0);
                a1.add(b1).intoArray(sums, LANES);
                a2.add(b2).intoArray(sums, 2 * LANES);
                a3.add(b3).intoArray(sums, 3 * LANES);
                finishFour(vals, meta, groups, xp, xOff, cp, sums, g, mi, y, yOff, yStride, rows, r0);
            }
        }
    }

    /**
     * The end of a row block of {@link #decodeBf16Four} off the fast path: the last group when the group count is
     * odd, and the store of a partial last row block. Kept out of the kernel for C2's inlining budget
     * (see {@link #storeLastRows}).
     */
    private static void finishFour(int[] vals, int[] meta, int groups, float[] xp, int xOff, int cp, float[] sums, int g,
                                   int mi, float[] y, int yOff, int yStride, int rows, int r0) {
        for (int q = 0; q < 4; q++) {
            FloatVector s = FloatVector.fromArray(F, sums, q * LANES);
            if (r0 + LANES <= rows) s.intoArray(y, yOff + q * yStride + r0);
            else storeLastRows(s.toArray(), y, yOff + q * yStride, r0, rows);
            if (g < groups) addLastGroup(vals, meta, mi, false, xp, xOff + q * cp + 4 * g, y, yOff + q * yStride, r0, rows);
        }
    }

    /** As {@link #decodeBf16} for IEEE f16 values. */
    public static void decodeF16(int[] vals, int[] meta, int groups, float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int mi = rb * groups;
            int g = 0;
            for (; g + 1 < groups; g += 2, mi += 2) {
                IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                IntVector v0 = IntVector.fromArray(I, vals, mi * 8);
                IntVector v1 = IntVector.fromArray(I, vals, mi * 8 + 8);
                FloatVector x00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                FloatVector x11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                // f16 → f32 written out (magnitude moved into place, exponent rebiased by the multiply by 2^112,
                // sign or'ed in; the upper half's magnitude is (v >>> 3) & 0x0FFFE000, its sign bit already in place):
                // four calls of a helper here passed C2's node budget and went out of line, the vectors boxed (a call
                // is where C2 decides; the Vector API's own methods are always inlined)
                acc0 = v0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(v0.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().fma(x00, acc0);
                acc1 = v0.lanewise(VectorOperators.LSHR, 3).and(0x0FFFE000).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(v0.and(0x80000000)).reinterpretAsFloats().fma(x01, acc1);
                acc0 = v1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(v1.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().fma(x10, acc0);
                acc1 = v1.lanewise(VectorOperators.LSHR, 3).and(0x0FFFE000).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(v1.and(0x80000000)).reinterpretAsFloats().fma(x11, acc1);
            }
            FloatVector sum = acc0.add(acc1);
            if (rb * LANES + LANES <= rows) sum.intoArray(y, yOff + rb * LANES);
            else storeLastRows(sum.toArray(), y, yOff, rb * LANES, rows);
            if (g < groups) addLastGroup(vals, meta, mi, true, x, 4 * g, y, yOff, rb * LANES, rows);
        }
    }

    /** As {@link #decodeBf16} for float32 values. */
    public static void decodeF32(float[] vals, int[] meta, int groups, float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int mi = rb * groups;
            int g = 0;
            for (; g + 1 < groups; g += 2, mi += 2) {
                IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                int vo = mi * 16;
                FloatVector x00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats();
                FloatVector x10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                FloatVector x11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                acc0 = FloatVector.fromArray(F, vals, vo).fma(x00, acc0);
                acc1 = FloatVector.fromArray(F, vals, vo + 8).fma(x01, acc1);
                acc0 = FloatVector.fromArray(F, vals, vo + 16).fma(x10, acc0);
                acc1 = FloatVector.fromArray(F, vals, vo + 24).fma(x11, acc1);
            }
            if (g < groups) {
                IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                int vo = mi * 16;
                acc0 = FloatVector.fromArray(F, vals, vo).fma(m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats(), acc0);
                acc1 = FloatVector.fromArray(F, vals, vo + 8).fma(m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats(), acc1);
            }
            FloatVector sum = acc0.add(acc1);
            if (rb * LANES + LANES <= rows) sum.intoArray(y, yOff + rb * LANES);
            else storeLastRows(sum.toArray(), y, yOff, rb * LANES, rows);
        }
    }

    /** Writes 8-row blocks [b0, b1) of a quantized core into the float32 layout of {@link #prefill}, from index 0. */
    @FunctionalInterface
    public interface FloatLayoutChunk {
        void fill(int b0, int b1, float[] v32, int[] m32);
    }

    /**
     * Prefill of a quantized core's 8-row blocks [b8From, b8To): {@code chunkBlocks} blocks at a time are dequantized by
     * {@code chunk} into the float32 layout (a buffer that stays in L2) and run through {@link #prefill}, so the
     * conversion is paid once per chunk and batch, not once per token. Only the kept values are multiplied.
     */
    public static void prefillDequantized(FloatLayoutChunk chunk, int rows, int groups, int chunkBlocks, int b8From, int b8To,
                                          float[] xt, int tp, int tokens, float[] y) {
        int n = Math.min(chunkBlocks, b8To - b8From);
        float[] v32 = new float[n * groups * 16];
        int[] m32 = new int[n * groups];
        for (int b0 = b8From; b0 < b8To; b0 += n) {
            int b1 = Math.min(b8To, b0 + n);
            chunk.fill(b0, b1, v32, m32);
            int r0 = b0 * 8, r1 = Math.min(rows, b1 * 8);
            prefill(null, v32, false, m32, groups, xt, tp, tokens, y, rows, r0, 0, r1 - r0);
        }
    }

    /**
     * Prefill: y[t*yStride + yOff + r] = Σ_c W[r,c]·x_t[c] for rows [rowFrom, rowTo) and the tokens of {@code xt},
     * the input in {@link #transpose tile layout} (tp a multiple of 8, padded tokens zero). Exactly one of
     * {@code vals16} (bf16, or IEEE f16 when {@code f16}) and {@code vals32} is non-null.
     *
     * <p>Each kept value is broadcast and multiplied into the token vector of the column it selects, so the
     * multiply-adds are half of dense and there are no permutes; the loads of x then equal the multiply-adds, and
     * they must come from L1 for the kernel to beat dense: columns are taken in chunks whose slice of the x tile
     * fits in {@link #CHUNK_BYTES}, and each row's partial sums for the tile are kept in {@code acc} across chunks.
     * Measured on one 2048 × 8192 bf16 layer, 512 tokens, 2 threads: 1.4× faster than the same loop with the x
     * tile streamed from L2 (2048-column chunks), which had been level with the dense kernel.
     */
    public static void prefill(int[] vals16, float[] vals32, boolean f16, int[] meta, int groups, float[] xt, int tp,
                               int tokens, float[] y, int yStride, int yOff, int rowFrom, int rowTo) {
        int cols = 4 * groups, n = rowTo - rowFrom;
        float[] acc = new float[n * (tp >= DOUBLE_TILE ? DOUBLE_TILE : TOKEN_TILE)];
        int t0 = 0;
        int doubleChunk = CHUNK_BYTES / (16 * DOUBLE_TILE);
        for (; t0 + DOUBLE_TILE <= tp; t0 += DOUBLE_TILE) {
            int base = t0 * cols;
            Arrays.fill(acc, 0f);
            for (int gFrom = 0; gFrom < groups; gFrom += doubleChunk) {
                int gTo = Math.min(groups, gFrom + doubleChunk);
                for (int r = rowFrom; r < rowTo; r++) {
                    int ao = (r - rowFrom) * DOUBLE_TILE;
                    if (vals32 == null) doubleRow16(vals16, f16, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                    else doubleRowF32(vals32, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                }
            }
            storeTile(acc, DOUBLE_TILE, t0, tokens, y, yStride, yOff, rowFrom, rowTo);
        }
        int wideChunk = CHUNK_BYTES / (16 * TOKEN_TILE);
        for (; t0 + TOKEN_TILE <= tp; t0 += TOKEN_TILE) {
            int base = t0 * cols;
            Arrays.fill(acc, 0, n * TOKEN_TILE, 0f);
            for (int gFrom = 0; gFrom < groups; gFrom += wideChunk) {
                int gTo = Math.min(groups, gFrom + wideChunk);
                for (int r = rowFrom; r < rowTo; r++) {
                    int ao = (r - rowFrom) * TOKEN_TILE;
                    if (vals32 == null) wideRow16(vals16, f16, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                    else wideRowF32(vals32, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                }
            }
            storeTile(acc, TOKEN_TILE, t0, tokens, y, yStride, yOff, rowFrom, rowTo);
        }
        int narrowChunk = CHUNK_BYTES / (16 * LANES);
        for (; t0 < tp; t0 += LANES) {
            int base = t0 * cols;
            Arrays.fill(acc, 0, n * LANES, 0f);
            for (int gFrom = 0; gFrom < groups; gFrom += narrowChunk) {
                int gTo = Math.min(groups, gFrom + narrowChunk);
                for (int r = rowFrom; r < rowTo; ) {
                    int ao = (r - rowFrom) * LANES;
                    if ((r & 3) == 0 && r + 4 <= rowTo) {
                        if (vals32 == null) narrowFourRows16(vals16, f16, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                        else narrowFourRowsF32(vals32, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                        r += 4;
                    } else {
                        narrowRow(vals16, vals32, f16, meta, groups, xt, base, r, gFrom, gTo, acc, ao);
                        r++;
                    }
                }
            }
            storeTile(acc, LANES, t0, tokens, y, yStride, yOff, rowFrom, rowTo);
        }
    }

    /** The 16-bit kept value in the low ({@code k = 0}) or high half of {@code pair}, widened. */
    private static float widen16(int pair, int k, boolean f16) {
        int bits = k == 0 ? pair & 0xFFFF : pair >>> 16;
        return f16 ? Float.float16ToFloat((short) bits) : Float.intBitsToFloat(bits << 16);
    }

    /**
     * One row, groups [gFrom, gTo), a full token tile (four vectors): acc[ao ..] += the row's sums. Separate
     * accumulators for the two kept values give eight independent FMA chains.
     */
    private static void wideRow16(int[] vals, boolean f16, int[] meta, int groups, float[] xt, int base, int r,
                                  int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(PF), a1 = FloatVector.zero(PF), a2 = FloatVector.zero(PF), a3 = FloatVector.zero(PF);
        FloatVector b0 = FloatVector.zero(PF), b1 = FloatVector.zero(PF), b2 = FloatVector.zero(PF), b3 = FloatVector.zero(PF);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int nib = meta[mi] >>> shift;
            int pair = vals[mi * 8 + lane];
            FloatVector v0 = FloatVector.broadcast(PF, widen16(pair, 0, f16));
            FloatVector v1 = FloatVector.broadcast(PF, widen16(pair, 1, f16));
            int c0 = base + (4 * g + (nib & 3)) * TOKEN_TILE;
            int c1 = base + (4 * g + ((nib >>> 2) & 3)) * TOKEN_TILE;
            a0 = v0.fma(FloatVector.fromArray(PF, xt, c0), a0);
            a1 = v0.fma(FloatVector.fromArray(PF, xt, c0 + PL), a1);
            a2 = v0.fma(FloatVector.fromArray(PF, xt, c0 + 2 * PL), a2);
            a3 = v0.fma(FloatVector.fromArray(PF, xt, c0 + 3 * PL), a3);
            b0 = v1.fma(FloatVector.fromArray(PF, xt, c1), b0);
            b1 = v1.fma(FloatVector.fromArray(PF, xt, c1 + PL), b1);
            b2 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 2 * PL), b2);
            b3 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 3 * PL), b3);
        }
        FloatVector.fromArray(PF, acc, ao).add(a0.add(b0)).intoArray(acc, ao);
        FloatVector.fromArray(PF, acc, ao + PL).add(a1.add(b1)).intoArray(acc, ao + PL);
        FloatVector.fromArray(PF, acc, ao + 2 * PL).add(a2.add(b2)).intoArray(acc, ao + 2 * PL);
        FloatVector.fromArray(PF, acc, ao + 3 * PL).add(a3.add(b3)).intoArray(acc, ao + 3 * PL);
    }

    /**
     * One row, groups [gFrom, gTo), a double token tile (eight vectors): acc[ao ..] += the row's sums. Both kept values
     * of a group feed the same eight accumulators (two dependent FMAs a group, eight independent chains): sixteen
     * accumulators would not fit AVX2's sixteen registers beside the broadcasts.
     */
    private static void doubleRow16(int[] vals, boolean f16, int[] meta, int groups, float[] xt, int base, int r,
                                    int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(PF), a1 = FloatVector.zero(PF), a2 = FloatVector.zero(PF), a3 = FloatVector.zero(PF);
        FloatVector a4 = FloatVector.zero(PF), a5 = FloatVector.zero(PF), a6 = FloatVector.zero(PF), a7 = FloatVector.zero(PF);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int nib = meta[mi] >>> shift;
            int pair = vals[mi * 8 + lane];
            FloatVector v0 = FloatVector.broadcast(PF, widen16(pair, 0, f16));
            FloatVector v1 = FloatVector.broadcast(PF, widen16(pair, 1, f16));
            int c0 = base + (4 * g + (nib & 3)) * DOUBLE_TILE;
            int c1 = base + (4 * g + ((nib >>> 2) & 3)) * DOUBLE_TILE;
            a0 = v1.fma(FloatVector.fromArray(PF, xt, c1), v0.fma(FloatVector.fromArray(PF, xt, c0), a0));
            a1 = v1.fma(FloatVector.fromArray(PF, xt, c1 + PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + PL), a1));
            a2 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 2 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 2 * PL), a2));
            a3 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 3 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 3 * PL), a3));
            a4 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 4 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 4 * PL), a4));
            a5 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 5 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 5 * PL), a5));
            a6 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 6 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 6 * PL), a6));
            a7 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 7 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 7 * PL), a7));
        }
        // added here, not in a shared helper: a vector passed to a method C2 declines is boxed (KernelInliningTest)
        FloatVector.fromArray(PF, acc, ao).add(a0).intoArray(acc, ao);
        FloatVector.fromArray(PF, acc, ao + PL).add(a1).intoArray(acc, ao + PL);
        FloatVector.fromArray(PF, acc, ao + 2 * PL).add(a2).intoArray(acc, ao + 2 * PL);
        FloatVector.fromArray(PF, acc, ao + 3 * PL).add(a3).intoArray(acc, ao + 3 * PL);
        FloatVector.fromArray(PF, acc, ao + 4 * PL).add(a4).intoArray(acc, ao + 4 * PL);
        FloatVector.fromArray(PF, acc, ao + 5 * PL).add(a5).intoArray(acc, ao + 5 * PL);
        FloatVector.fromArray(PF, acc, ao + 6 * PL).add(a6).intoArray(acc, ao + 6 * PL);
        FloatVector.fromArray(PF, acc, ao + 7 * PL).add(a7).intoArray(acc, ao + 7 * PL);
    }

    /** As {@link #doubleRow16} for float32 values. */
    private static void doubleRowF32(float[] vals, int[] meta, int groups, float[] xt, int base, int r,
                                     int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(PF), a1 = FloatVector.zero(PF), a2 = FloatVector.zero(PF), a3 = FloatVector.zero(PF);
        FloatVector a4 = FloatVector.zero(PF), a5 = FloatVector.zero(PF), a6 = FloatVector.zero(PF), a7 = FloatVector.zero(PF);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int nib = meta[mi] >>> shift;
            int vo = mi * 16 + lane;
            FloatVector v0 = FloatVector.broadcast(PF, vals[vo]);
            FloatVector v1 = FloatVector.broadcast(PF, vals[vo + 8]);
            int c0 = base + (4 * g + (nib & 3)) * DOUBLE_TILE;
            int c1 = base + (4 * g + ((nib >>> 2) & 3)) * DOUBLE_TILE;
            a0 = v1.fma(FloatVector.fromArray(PF, xt, c1), v0.fma(FloatVector.fromArray(PF, xt, c0), a0));
            a1 = v1.fma(FloatVector.fromArray(PF, xt, c1 + PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + PL), a1));
            a2 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 2 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 2 * PL), a2));
            a3 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 3 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 3 * PL), a3));
            a4 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 4 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 4 * PL), a4));
            a5 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 5 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 5 * PL), a5));
            a6 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 6 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 6 * PL), a6));
            a7 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 7 * PL), v0.fma(FloatVector.fromArray(PF, xt, c0 + 7 * PL), a7));
        }
        // added here, not in a shared helper: a vector passed to a method C2 declines is boxed (KernelInliningTest)
        FloatVector.fromArray(PF, acc, ao).add(a0).intoArray(acc, ao);
        FloatVector.fromArray(PF, acc, ao + PL).add(a1).intoArray(acc, ao + PL);
        FloatVector.fromArray(PF, acc, ao + 2 * PL).add(a2).intoArray(acc, ao + 2 * PL);
        FloatVector.fromArray(PF, acc, ao + 3 * PL).add(a3).intoArray(acc, ao + 3 * PL);
        FloatVector.fromArray(PF, acc, ao + 4 * PL).add(a4).intoArray(acc, ao + 4 * PL);
        FloatVector.fromArray(PF, acc, ao + 5 * PL).add(a5).intoArray(acc, ao + 5 * PL);
        FloatVector.fromArray(PF, acc, ao + 6 * PL).add(a6).intoArray(acc, ao + 6 * PL);
        FloatVector.fromArray(PF, acc, ao + 7 * PL).add(a7).intoArray(acc, ao + 7 * PL);
    }

    /** As {@link #wideRow16} for float32 values. */
    private static void wideRowF32(float[] vals, int[] meta, int groups, float[] xt, int base, int r,
                                   int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(PF), a1 = FloatVector.zero(PF), a2 = FloatVector.zero(PF), a3 = FloatVector.zero(PF);
        FloatVector b0 = FloatVector.zero(PF), b1 = FloatVector.zero(PF), b2 = FloatVector.zero(PF), b3 = FloatVector.zero(PF);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int nib = meta[mi] >>> shift;
            int vo = mi * 16 + lane;
            FloatVector v0 = FloatVector.broadcast(PF, vals[vo]);
            FloatVector v1 = FloatVector.broadcast(PF, vals[vo + 8]);
            int c0 = base + (4 * g + (nib & 3)) * TOKEN_TILE;
            int c1 = base + (4 * g + ((nib >>> 2) & 3)) * TOKEN_TILE;
            a0 = v0.fma(FloatVector.fromArray(PF, xt, c0), a0);
            a1 = v0.fma(FloatVector.fromArray(PF, xt, c0 + PL), a1);
            a2 = v0.fma(FloatVector.fromArray(PF, xt, c0 + 2 * PL), a2);
            a3 = v0.fma(FloatVector.fromArray(PF, xt, c0 + 3 * PL), a3);
            b0 = v1.fma(FloatVector.fromArray(PF, xt, c1), b0);
            b1 = v1.fma(FloatVector.fromArray(PF, xt, c1 + PL), b1);
            b2 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 2 * PL), b2);
            b3 = v1.fma(FloatVector.fromArray(PF, xt, c1 + 3 * PL), b3);
        }
        FloatVector.fromArray(PF, acc, ao).add(a0.add(b0)).intoArray(acc, ao);
        FloatVector.fromArray(PF, acc, ao + PL).add(a1.add(b1)).intoArray(acc, ao + PL);
        FloatVector.fromArray(PF, acc, ao + 2 * PL).add(a2.add(b2)).intoArray(acc, ao + 2 * PL);
        FloatVector.fromArray(PF, acc, ao + 3 * PL).add(a3.add(b3)).intoArray(acc, ao + 3 * PL);
    }

    /**
     * Four rows r..r+3 of one row block (r a multiple of 4), groups [gFrom, gTo), an 8-token tile: one vector per
     * kept value, so four rows give the eight independent FMA chains one row could not (short prompts).
     */
    private static void narrowFourRows16(int[] vals, boolean f16, int[] meta, int groups, float[] xt, int base, int r,
                                         int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int m = meta[mi] >>> shift, vo = mi * 8 + lane, gb = base + 4 * g * LANES;
            int p0 = vals[vo], p1 = vals[vo + 1], p2 = vals[vo + 2], p3 = vals[vo + 3];
            a0 = FloatVector.fromArray(F, xt, gb + (m & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p0, 0, f16)), a0);
            b0 = FloatVector.fromArray(F, xt, gb + ((m >>> 2) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p0, 1, f16)), b0);
            a1 = FloatVector.fromArray(F, xt, gb + ((m >>> 4) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p1, 0, f16)), a1);
            b1 = FloatVector.fromArray(F, xt, gb + ((m >>> 6) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p1, 1, f16)), b1);
            a2 = FloatVector.fromArray(F, xt, gb + ((m >>> 8) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p2, 0, f16)), a2);
            b2 = FloatVector.fromArray(F, xt, gb + ((m >>> 10) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p2, 1, f16)), b2);
            a3 = FloatVector.fromArray(F, xt, gb + ((m >>> 12) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p3, 0, f16)), a3);
            b3 = FloatVector.fromArray(F, xt, gb + ((m >>> 14) & 3) * LANES).fma(FloatVector.broadcast(F, widen16(p3, 1, f16)), b3);
        }
        FloatVector.fromArray(F, acc, ao).add(a0.add(b0)).intoArray(acc, ao);
        FloatVector.fromArray(F, acc, ao + LANES).add(a1.add(b1)).intoArray(acc, ao + LANES);
        FloatVector.fromArray(F, acc, ao + 2 * LANES).add(a2.add(b2)).intoArray(acc, ao + 2 * LANES);
        FloatVector.fromArray(F, acc, ao + 3 * LANES).add(a3.add(b3)).intoArray(acc, ao + 3 * LANES);
    }

    /** As {@link #narrowFourRows16} for float32 values. */
    private static void narrowFourRowsF32(float[] vals, int[] meta, int groups, float[] xt, int base, int r,
                                          int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int m = meta[mi] >>> shift, vo = mi * 16 + lane, gb = base + 4 * g * LANES;
            a0 = FloatVector.fromArray(F, xt, gb + (m & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo]), a0);
            b0 = FloatVector.fromArray(F, xt, gb + ((m >>> 2) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 8]), b0);
            a1 = FloatVector.fromArray(F, xt, gb + ((m >>> 4) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 1]), a1);
            b1 = FloatVector.fromArray(F, xt, gb + ((m >>> 6) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 9]), b1);
            a2 = FloatVector.fromArray(F, xt, gb + ((m >>> 8) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 2]), a2);
            b2 = FloatVector.fromArray(F, xt, gb + ((m >>> 10) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 10]), b2);
            a3 = FloatVector.fromArray(F, xt, gb + ((m >>> 12) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 3]), a3);
            b3 = FloatVector.fromArray(F, xt, gb + ((m >>> 14) & 3) * LANES).fma(FloatVector.broadcast(F, vals[vo + 11]), b3);
        }
        FloatVector.fromArray(F, acc, ao).add(a0.add(b0)).intoArray(acc, ao);
        FloatVector.fromArray(F, acc, ao + LANES).add(a1.add(b1)).intoArray(acc, ao + LANES);
        FloatVector.fromArray(F, acc, ao + 2 * LANES).add(a2.add(b2)).intoArray(acc, ao + 2 * LANES);
        FloatVector.fromArray(F, acc, ao + 3 * LANES).add(a3.add(b3)).intoArray(acc, ao + 3 * LANES);
    }

    /** One row of an 8-token tile, any dtype: the rows a four-row pass cannot take (row counts not a multiple of 4). */
    private static void narrowRow(int[] vals16, float[] vals32, boolean f16, int[] meta, int groups, float[] xt, int base,
                                  int r, int gFrom, int gTo, float[] acc, int ao) {
        int lane = r & 7, shift = 4 * lane;
        int mi = (r >>> 3) * groups + gFrom;
        FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F);
        for (int g = gFrom; g < gTo; g++, mi++) {
            int nib = meta[mi] >>> shift, gb = base + 4 * g * LANES;
            float v0, v1;
            if (vals32 == null) {
                int pair = vals16[mi * 8 + lane];
                v0 = widen16(pair, 0, f16);
                v1 = widen16(pair, 1, f16);
            } else {
                v0 = vals32[mi * 16 + lane];
                v1 = vals32[mi * 16 + lane + 8];
            }
            a0 = FloatVector.fromArray(F, xt, gb + (nib & 3) * LANES).fma(FloatVector.broadcast(F, v0), a0);
            b0 = FloatVector.fromArray(F, xt, gb + ((nib >>> 2) & 3) * LANES).fma(FloatVector.broadcast(F, v1), b0);
        }
        FloatVector.fromArray(F, acc, ao).add(a0.add(b0)).intoArray(acc, ao);
    }

    /** y[(t0 + i)*yStride + yOff + r] = acc[(r - rowFrom)*width + i] for the real (unpadded) tokens of the tile. */
    private static void storeTile(float[] acc, int width, int t0, int tokens, float[] y, int yStride, int yOff,
                                  int rowFrom, int rowTo) {
        int end = Math.min(width, tokens - t0);
        for (int i = 0; i < end; i++) {
            int yo = (t0 + i) * yStride + yOff;
            for (int r = rowFrom; r < rowTo; r++) y[yo + r] = acc[(r - rowFrom) * width + i];
        }
    }

    /**
     * The prefill kernels' input layout: tokens padded to {@code tp = roundUp(tokens, 8)} (zeros) and cut into tiles
     * of {@link #DOUBLE_TILE} tokens while they last, then of {@link #TOKEN_TILE}, then of 8; the tile starting at
     * token t0 with width w occupies {@code xt[t0*cols ...]}, column-major inside the tile
     * ({@code xt[t0*cols + c*w + (t - t0)]}). Each tile is contiguous, so the columns a row selects never collide in the cache as a whole-length stride would.
     */
    public static float[] transpose(float[] x, int xOff, int tokens, int cols, int tp) {
        float[] xt = new float[cols * tp];
        for (int t0 = 0; t0 < tp; ) {
            int w = t0 + DOUBLE_TILE <= tp ? DOUBLE_TILE : t0 + TOKEN_TILE <= tp ? TOKEN_TILE : LANES;
            int base = t0 * cols;
            for (int t = t0; t < Math.min(t0 + w, tokens); t++) {
                int src = xOff + t * cols, dst = base + (t - t0);
                for (int c = 0; c < cols; c++) xt[dst + c * w] = x[src + c];
            }
            t0 += w;
        }
        return xt;
    }

    public static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
