package armor.runtime.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode kernels for a 2:4 core with int8 values ({@code armor.runtime.linear.Sparse24Int8Matrix}). Rows are interleaved
 * in blocks of {@link #ROWS} (one row a lane: 16 on AVX-512, 8 on AVX2) and columns taken a <em>pair</em> of groups
 * (8 input columns) at a time. For row block {@code rb} and pair {@code p}, lane {@code i} (row {@code rb*ROWS + i})
 * has
 * <ul>
 *   <li>{@code vals[(rb*pairs + p)*ROWS + i]}: its four kept values, from the low byte up v0 and v1 of group 2p, then
 *       v0 and v1 of group 2p+1 (an odd group count is padded with a value-0 group);</li>
 *   <li>{@code meta[(rb*pairs + p)*ROWS + i]}: the two groups' nibbles {@code p0 | p1 << 2}, group 2p in the low
 *       nibble;</li>
 *   <li>{@code scales[(rb*scaleGroups + s)*ROWS + i]}: the scale of scale group s (each {@code pairsPerScale}
 *       pairs).</li>
 * </ul>
 * One vector load gives a pair's values for all rows of the block, a byte load widened to ints its positions, and one
 * load of x at column 8p the eight inputs every lane picks from (a lane permute with indices 0..7). Per 8 input
 * columns of a row block that is about thirty instructions for 2·ROWS kept values: the decode loop is bound by
 * instruction issue on the machines measured (docs/benchmarks.md), so the wide row block is what makes int8 faster
 * than bf16. A scale group's products are summed unscaled and the sum multiplied once.
 */
public final class Sparse24Int8Kernels {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.length() >= 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = I.length() == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = I.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    /** Rows per row block: the lanes of the widest int vector the CPU has (16 or 8). */
    public static final int ROWS = I.length();

    private Sparse24Int8Kernels() {}

    /** The signed byte at bits {@code 24 - left .. 31 - left} of each lane, as floats. */
    private static FloatVector byteLane(IntVector v, int left) {
        IntVector s = left == 0 ? v : v.lanewise(VectorOperators.LSHL, left);
        return (FloatVector) s.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
    }

    /**
     * One token: y[yOff + r] = Σ_c W[r,c]·x[c] for the rows of row blocks [rbFrom, rbTo). {@code x} has at least
     * {@code 8*pairs + ROWS} entries (zero padded: the last pair's load reads a whole vector).
     */
    public static void decode(int[] vals, byte[] meta, float[] scales, int pairs, int scaleGroups, int pairsPerScale,
                              float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector total = FloatVector.zero(F);
            int p = 0, vi = rb * pairs * ROWS, si = rb * scaleGroups * ROWS;
            for (int s = 0; s < scaleGroups; s++, si += ROWS) {
                int pEnd = Math.min(pairs, p + pairsPerScale);
                FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
                for (; p < pEnd; p++, vi += ROWS) {
                    IntVector xi = FloatVector.fromArray(F, x, 8 * p).reinterpretAsInts();
                    IntVector m = (IntVector) ByteVector.fromArray(B, meta, vi).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector v = IntVector.fromArray(I, vals, vi);
                    FloatVector x00 = m.and(3).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x01 = m.lanewise(VectorOperators.LSHR, 2).and(3).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x10 = m.lanewise(VectorOperators.LSHR, 4).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x11 = m.lanewise(VectorOperators.LSHR, 6).or(4).selectFrom(xi).reinterpretAsFloats();
                    acc0 = byteLane(v, 24).fma(x00, acc0);
                    acc1 = byteLane(v, 16).fma(x01, acc1);
                    acc0 = byteLane(v, 8).fma(x10, acc0);
                    acc1 = byteLane(v, 0).fma(x11, acc1);
                }
                total = acc0.add(acc1).fma(FloatVector.fromArray(F, scales, si), total);
            }
            int r0 = rb * ROWS;
            if (r0 + ROWS <= rows) total.intoArray(y, yOff + r0);
            else storeLastRows(total.toArray(), y, yOff, r0, rows);
        }
    }

    /**
     * Four tokens at once (batched decode, short prompts): as {@link #decode} for token q's input at
     * {@code xp[xOff + q*cp ...]} (each zero padded to {@code cp} ≥ 8*pairs + ROWS) into {@code y[yOff + q*yStride + r]}.
     * The picks and the widened values of a pair are computed once and used for the four tokens.
     */
    public static void decodeFour(int[] vals, byte[] meta, float[] scales, int pairs, int scaleGroups, int pairsPerScale,
                                  float[] xp, int xOff, int cp, float[] y, int yOff, int yStride, int rows, int rbFrom, int rbTo) {
        int x0 = xOff, x1 = xOff + cp, x2 = x1 + cp, x3 = x2 + cp;
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            int p = 0, vi = rb * pairs * ROWS, si = rb * scaleGroups * ROWS;
            for (int s = 0; s < scaleGroups; s++, si += ROWS) {
                int pEnd = Math.min(pairs, p + pairsPerScale);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
                for (; p < pEnd; p++, vi += ROWS) {
                    IntVector m = (IntVector) ByteVector.fromArray(B, meta, vi).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector i00 = m.and(3);
                    IntVector i01 = m.lanewise(VectorOperators.LSHR, 2).and(3);
                    IntVector i10 = m.lanewise(VectorOperators.LSHR, 4).and(3).or(4);
                    IntVector i11 = m.lanewise(VectorOperators.LSHR, 6).or(4);
                    IntVector v = IntVector.fromArray(I, vals, vi);
                    FloatVector w00 = byteLane(v, 24), w01 = byteLane(v, 16), w10 = byteLane(v, 8), w11 = byteLane(v, 0);
                    int c = 8 * p;
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
                FloatVector sc = FloatVector.fromArray(F, scales, si);
                t0 = a0.add(b0).fma(sc, t0);
                t1 = a1.add(b1).fma(sc, t1);
                t2 = a2.add(b2).fma(sc, t2);
                t3 = a3.add(b3).fma(sc, t3);
            }
            int r0 = rb * ROWS;
            if (r0 + ROWS <= rows) {
                t0.intoArray(y, yOff + r0);
                t1.intoArray(y, yOff + yStride + r0);
                t2.intoArray(y, yOff + 2 * yStride + r0);
                t3.intoArray(y, yOff + 3 * yStride + r0);
            } else {
                storeLastRows(t0.toArray(), y, yOff, r0, rows);
                storeLastRows(t1.toArray(), y, yOff + yStride, r0, rows);
                storeLastRows(t2.toArray(), y, yOff + 2 * yStride, r0, rows);
                storeLastRows(t3.toArray(), y, yOff + 3 * yStride, r0, rows);
            }
        }
    }

    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    /** Shift of lane i's nibble in the float32 layout's metadata word: 4i. */
    private static final IntVector NIBBLE_SHIFT = IntVector.fromArray(I8, new int[] {0, 4, 8, 12, 16, 20, 24, 28}, 0);

    /**
     * Dequantizes 8-row blocks [b8From, b8To) into the float32 layout of {@link Sparse24Kernels} (values
     * {@code v32[((b8 - b8From)*groups + g)*16 + k*8 + lane]}, nibbles {@code m32[(b8 - b8From)*groups + g]}), so that
     * its prefill kernel runs on them. Eight rows of this layout are eight consecutive lanes of one row block, so the
     * repack is a few vector operations per pair and 8 rows (the prefill of an int8 core pays it once per chunk).
     */
    public static void toFloatLayout(int[] vals, byte[] meta, float[] scales, int groups, int pairs, int scaleGroups,
                                     int pairsPerScale, int b8From, int b8To, float[] v32, int[] m32) {
        for (int b8 = b8From; b8 < b8To; b8++) {
            int rb = b8 * 8 / ROWS, h = b8 * 8 % ROWS, local = b8 - b8From;
            for (int p = 0; p < pairs; p++) {
                int vo = (rb * pairs + p) * ROWS + h;
                IntVector v = IntVector.fromArray(I8, vals, vo);
                FloatVector sc = FloatVector.fromArray(F8, scales, (rb * scaleGroups + p / pairsPerScale) * ROWS + h);
                IntVector m = (IntVector) ByteVector.fromArray(B8, meta, vo).convertShape(VectorOperators.ZERO_EXTEND_B2I, I8, 0);
                int g = 2 * p, base = (local * groups + g) * 16;
                byteLane8(v, 24).mul(sc).intoArray(v32, base);
                byteLane8(v, 16).mul(sc).intoArray(v32, base + 8);
                m32[local * groups + g] = m.and(15).lanewise(VectorOperators.LSHL, NIBBLE_SHIFT).reduceLanes(VectorOperators.OR);
                if (g + 1 < groups) {
                    byteLane8(v, 8).mul(sc).intoArray(v32, base + 16);
                    byteLane8(v, 0).mul(sc).intoArray(v32, base + 24);
                    m32[local * groups + g + 1] = m.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, NIBBLE_SHIFT)
                            .reduceLanes(VectorOperators.OR);
                }
            }
        }
    }

    /** {@link #byteLane} on 8 lanes. */
    private static FloatVector byteLane8(IntVector v, int left) {
        IntVector s = left == 0 ? v : v.lanewise(VectorOperators.LSHL, left);
        return (FloatVector) s.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
    }

    /** Stores the rows of the last, partial row block; out of line for C2's inlining budget (see Sparse24Kernels). */
    private static void storeLastRows(float[] acc, float[] y, int yOff, int r0, int rows) {
        System.arraycopy(acc, 0, y, yOff + r0, rows - r0);
    }
}
