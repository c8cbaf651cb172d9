package armor.runtime.kernels;

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
 * <p>Prefill (many tokens) puts tokens in lanes instead: x is transposed ({@code xt[col*tp + t]}), and each kept
 * value is broadcast and multiplied into the column it selects, so the multiply-adds are halved with no permutes.
 *
 * <p>The species is fixed at 256 bits (8 floats): the layout interleaves 8 rows, and 256-bit vectors run at the
 * memory bandwidth on both AVX2 and AVX-512 machines.
 */
public final class Sparse24Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    public static final int LANES = 8;
    /** Shifts that bring lane i's first / second position to bits 0..1. */
    private static final IntVector SHIFT_P0 = IntVector.fromArray(I, new int[] {0, 4, 8, 12, 16, 20, 24, 28}, 0);
    private static final IntVector SHIFT_P1 = IntVector.fromArray(I, new int[] {2, 6, 10, 14, 18, 22, 26, 30}, 0);
    /** Token tile of the prefill kernel: 8 vectors of 8 tokens (8 accumulators, 16 FMAs per group and row). */
    public static final int TOKEN_TILE = 64;
    /**
     * Groups of columns per pass of the prefill kernel: 512 groups are 2048 columns, so the part of a 64-token tile
     * of x that a pass reads is 512 KiB and stays in L2 however wide the layer is (down_proj: 8192 columns).
     */
    static final int CHUNK_GROUPS = 512;

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
            if (g < groups) acc0 = acc0.add(lastGroupBf16(vals, meta, mi, x, g));
            FloatVector sum = acc0.add(acc1);
            if (rb * LANES + LANES <= rows) sum.intoArray(y, yOff + rb * LANES);
            else storeLastRows(sum.toArray(), y, yOff, rb * LANES, rows);
        }
    }

    /**
     * The last group of a row block when the group count is odd, kept out of {@link #decodeBf16} so that its
     * vector operations do not count against C2's inlining node budget for the kernel (see {@link #storeLastRows}).
     */
    private static FloatVector lastGroupBf16(int[] vals, int[] meta, int mi, float[] x, int g) {
        IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
        IntVector m0 = IntVector.broadcast(I, meta[mi]);
        IntVector v0 = IntVector.fromArray(I, vals, mi * 8);
        FloatVector p0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats());
        return v0.and(0xFFFF0000).reinterpretAsFloats().fma(m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats(), p0);
    }

    /** Widens IEEE f16 bit patterns held in the low 16 bits of each int lane (upper bits zero); see {@link #f16x8}. */
    private static FloatVector f16Lanes(IntVector i) {
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector mag = i.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return mag.reinterpretAsInts().or(sign).reinterpretAsFloats();
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
                acc0 = f16Lanes(v0.and(0xFFFF)).fma(x00, acc0);
                acc1 = f16Lanes(v0.lanewise(VectorOperators.LSHR, 16)).fma(x01, acc1);
                acc0 = f16Lanes(v1.and(0xFFFF)).fma(x10, acc0);
                acc1 = f16Lanes(v1.lanewise(VectorOperators.LSHR, 16)).fma(x11, acc1);
            }
            if (g < groups) {
                IntVector xi = FloatVector.fromArray(F, x, 4 * g).reinterpretAsInts();
                IntVector m0 = IntVector.broadcast(I, meta[mi]);
                IntVector v0 = IntVector.fromArray(I, vals, mi * 8);
                acc0 = f16Lanes(v0.and(0xFFFF)).fma(m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats(), acc0);
                acc1 = f16Lanes(v0.lanewise(VectorOperators.LSHR, 16)).fma(m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats(), acc1);
            }
            FloatVector sum = acc0.add(acc1);
            if (rb * LANES + LANES <= rows) sum.intoArray(y, yOff + rb * LANES);
            else storeLastRows(sum.toArray(), y, yOff, rb * LANES, rows);
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

    /**
     * Prefill: y[t*yStride + yOff + r] = Σ_c W[r,c]·x_t[c] for rows [rowFrom, rowTo) and the tokens of {@code xt},
     * the input in {@link #transpose tile layout} (tp a multiple of 8, padded tokens zero); 16-bit values (bf16, or
     * IEEE f16 when {@code f16}). Tiles of 64 tokens, then of 8, keep the tile of xt in cache across all rows.
     */
    public static void prefill16(int[] vals, boolean f16, int[] meta, int groups, float[] xt, int tp, int tokens,
                                 float[] y, int yStride, int yOff, int rowFrom, int rowTo) {
        float[] tile = new float[TOKEN_TILE];
        int t0 = 0;
        int cols = 4 * groups;
        for (; t0 + TOKEN_TILE <= tp; t0 += TOKEN_TILE) {
            int base = t0 * cols;
            for (int gFrom = 0; gFrom < groups; gFrom += CHUNK_GROUPS) {
            int gTo = Math.min(groups, gFrom + CHUNK_GROUPS);
            for (int r = rowFrom; r < rowTo; r++) {
                int lane = r & 7, shift = 4 * lane;
                int mi = (r >>> 3) * groups + gFrom;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
                for (int g = gFrom; g < gTo; g++, mi++) {
                    int nib = meta[mi] >>> shift;
                    int pair = vals[mi * 8 + lane];
                    short s0 = (short) pair, s1 = (short) (pair >>> 16);
                    FloatVector v0 = FloatVector.broadcast(F, f16 ? Float.float16ToFloat(s0) : Float.intBitsToFloat(s0 << 16));
                    FloatVector v1 = FloatVector.broadcast(F, f16 ? Float.float16ToFloat(s1) : Float.intBitsToFloat(s1 << 16));
                    int c0 = base + (4 * g + (nib & 3)) * TOKEN_TILE;
                    int c1 = base + (4 * g + ((nib >>> 2) & 3)) * TOKEN_TILE;
                    a0 = v1.fma(FloatVector.fromArray(F, xt, c1), v0.fma(FloatVector.fromArray(F, xt, c0), a0));
                    a1 = v1.fma(FloatVector.fromArray(F, xt, c1 + 8), v0.fma(FloatVector.fromArray(F, xt, c0 + 8), a1));
                    a2 = v1.fma(FloatVector.fromArray(F, xt, c1 + 16), v0.fma(FloatVector.fromArray(F, xt, c0 + 16), a2));
                    a3 = v1.fma(FloatVector.fromArray(F, xt, c1 + 24), v0.fma(FloatVector.fromArray(F, xt, c0 + 24), a3));
                    a4 = v1.fma(FloatVector.fromArray(F, xt, c1 + 32), v0.fma(FloatVector.fromArray(F, xt, c0 + 32), a4));
                    a5 = v1.fma(FloatVector.fromArray(F, xt, c1 + 40), v0.fma(FloatVector.fromArray(F, xt, c0 + 40), a5));
                    a6 = v1.fma(FloatVector.fromArray(F, xt, c1 + 48), v0.fma(FloatVector.fromArray(F, xt, c0 + 48), a6));
                    a7 = v1.fma(FloatVector.fromArray(F, xt, c1 + 56), v0.fma(FloatVector.fromArray(F, xt, c0 + 56), a7));
                }
                a0.intoArray(tile, 0);
                a1.intoArray(tile, 8);
                a2.intoArray(tile, 16);
                a3.intoArray(tile, 24);
                a4.intoArray(tile, 32);
                a5.intoArray(tile, 40);
                a6.intoArray(tile, 48);
                a7.intoArray(tile, 56);
                if (gFrom == 0) scatterTokens(tile, TOKEN_TILE, t0, tokens, y, yStride, yOff + r);
                else addTokens(tile, TOKEN_TILE, t0, tokens, y, yStride, yOff + r);
            }
            }
        }
        for (; t0 < tp; t0 += LANES) {
            int base = t0 * cols;
            for (int r = rowFrom; r < rowTo; r++) {
                int lane = r & 7, shift = 4 * lane;
                int mi = (r >>> 3) * groups;
                FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F);
                for (int g = 0; g < groups; g++, mi++) {
                    int nib = meta[mi] >>> shift;
                    int pair = vals[mi * 8 + lane];
                    short s0 = (short) pair, s1 = (short) (pair >>> 16);
                    float v0 = f16 ? Float.float16ToFloat(s0) : Float.intBitsToFloat(s0 << 16);
                    float v1 = f16 ? Float.float16ToFloat(s1) : Float.intBitsToFloat(s1 << 16);
                    a0 = FloatVector.fromArray(F, xt, base + (4 * g + (nib & 3)) * LANES).fma(FloatVector.broadcast(F, v0), a0);
                    b0 = FloatVector.fromArray(F, xt, base + (4 * g + ((nib >>> 2) & 3)) * LANES).fma(FloatVector.broadcast(F, v1), b0);
                }
                a0.add(b0).intoArray(tile, 0);
                scatterTokens(tile, LANES, t0, tokens, y, yStride, yOff + r);
            }
        }
    }

    /** As {@link #prefill16} for float32 values. */
    public static void prefillF32(float[] vals, int[] meta, int groups, float[] xt, int tp, int tokens,
                                  float[] y, int yStride, int yOff, int rowFrom, int rowTo) {
        float[] tile = new float[TOKEN_TILE];
        int t0 = 0;
        int cols = 4 * groups;
        for (; t0 + TOKEN_TILE <= tp; t0 += TOKEN_TILE) {
            int base = t0 * cols;
            for (int gFrom = 0; gFrom < groups; gFrom += CHUNK_GROUPS) {
            int gTo = Math.min(groups, gFrom + CHUNK_GROUPS);
            for (int r = rowFrom; r < rowTo; r++) {
                int lane = r & 7, shift = 4 * lane;
                int mi = (r >>> 3) * groups + gFrom;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
                for (int g = gFrom; g < gTo; g++, mi++) {
                    int nib = meta[mi] >>> shift;
                    int vo = mi * 16 + lane;
                    FloatVector v0 = FloatVector.broadcast(F, vals[vo]);
                    FloatVector v1 = FloatVector.broadcast(F, vals[vo + 8]);
                    int c0 = base + (4 * g + (nib & 3)) * TOKEN_TILE;
                    int c1 = base + (4 * g + ((nib >>> 2) & 3)) * TOKEN_TILE;
                    a0 = v1.fma(FloatVector.fromArray(F, xt, c1), v0.fma(FloatVector.fromArray(F, xt, c0), a0));
                    a1 = v1.fma(FloatVector.fromArray(F, xt, c1 + 8), v0.fma(FloatVector.fromArray(F, xt, c0 + 8), a1));
                    a2 = v1.fma(FloatVector.fromArray(F, xt, c1 + 16), v0.fma(FloatVector.fromArray(F, xt, c0 + 16), a2));
                    a3 = v1.fma(FloatVector.fromArray(F, xt, c1 + 24), v0.fma(FloatVector.fromArray(F, xt, c0 + 24), a3));
                    a4 = v1.fma(FloatVector.fromArray(F, xt, c1 + 32), v0.fma(FloatVector.fromArray(F, xt, c0 + 32), a4));
                    a5 = v1.fma(FloatVector.fromArray(F, xt, c1 + 40), v0.fma(FloatVector.fromArray(F, xt, c0 + 40), a5));
                    a6 = v1.fma(FloatVector.fromArray(F, xt, c1 + 48), v0.fma(FloatVector.fromArray(F, xt, c0 + 48), a6));
                    a7 = v1.fma(FloatVector.fromArray(F, xt, c1 + 56), v0.fma(FloatVector.fromArray(F, xt, c0 + 56), a7));
                }
                a0.intoArray(tile, 0);
                a1.intoArray(tile, 8);
                a2.intoArray(tile, 16);
                a3.intoArray(tile, 24);
                a4.intoArray(tile, 32);
                a5.intoArray(tile, 40);
                a6.intoArray(tile, 48);
                a7.intoArray(tile, 56);
                if (gFrom == 0) scatterTokens(tile, TOKEN_TILE, t0, tokens, y, yStride, yOff + r);
                else addTokens(tile, TOKEN_TILE, t0, tokens, y, yStride, yOff + r);
            }
            }
        }
        for (; t0 < tp; t0 += LANES) {
            int base = t0 * cols;
            for (int r = rowFrom; r < rowTo; r++) {
                int lane = r & 7, shift = 4 * lane;
                int mi = (r >>> 3) * groups;
                FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F);
                for (int g = 0; g < groups; g++, mi++) {
                    int nib = meta[mi] >>> shift;
                    int vo = mi * 16 + lane;
                    a0 = FloatVector.fromArray(F, xt, base + (4 * g + (nib & 3)) * LANES).fma(FloatVector.broadcast(F, vals[vo]), a0);
                    b0 = FloatVector.fromArray(F, xt, base + (4 * g + ((nib >>> 2) & 3)) * LANES).fma(FloatVector.broadcast(F, vals[vo + 8]), b0);
                }
                a0.add(b0).intoArray(tile, 0);
                scatterTokens(tile, LANES, t0, tokens, y, yStride, yOff + r);
            }
        }
    }

    private static void addTokens(float[] tile, int n, int t0, int tokens, float[] y, int yStride, int yIndex) {
        int end = Math.min(n, tokens - t0);
        for (int i = 0; i < end; i++) y[(t0 + i) * yStride + yIndex] += tile[i];
    }

    private static void scatterTokens(float[] tile, int n, int t0, int tokens, float[] y, int yStride, int yIndex) {
        int end = Math.min(n, tokens - t0);
        for (int i = 0; i < end; i++) y[(t0 + i) * yStride + yIndex] = tile[i];
    }

    /**
     * The prefill kernels' input layout: tokens padded to {@code tp = roundUp(tokens, 8)} (zeros) and cut into tiles
     * of 64 tokens while they last, then of 8; the tile starting at token t0 with width w occupies
     * {@code xt[t0*cols ...]}, column-major inside the tile ({@code xt[t0*cols + c*w + (t - t0)]}). Each tile is
     * contiguous, so the columns a row selects never collide in the cache as a whole-length stride would.
     */
    public static float[] transpose(float[] x, int xOff, int tokens, int cols, int tp) {
        float[] xt = new float[cols * tp];
        for (int t0 = 0; t0 < tp; ) {
            int w = t0 + TOKEN_TILE <= tp ? TOKEN_TILE : LANES;
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
