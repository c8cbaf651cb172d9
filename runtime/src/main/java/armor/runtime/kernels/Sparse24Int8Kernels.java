package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode kernels for a 2:4 core with int8 values (see {@code armor.runtime.linear.Sparse24Matrix}): the layout of
 * {@link Sparse24Kernels} (rows in blocks of 8, one row a lane, nibbles of 8 rows in one {@code int} per group) with
 * the values of a <em>pair</em> of groups in one int per lane, so one 256-bit load gives the four value vectors of
 * two groups: {@code vals[(rb*pairs + p)*8 + lane]} holds, from the low byte up, v0 and v1 of group 2p, then v0 and
 * v1 of group 2p+1. The metadata is {@code meta[rb*2*pairs + g]} (the group count padded to even with value-0
 * groups). Scales: one float per row and scale group of {@code pairsPerScale} pairs,
 * {@code scales[(rb*scaleGroups + s)*8 + lane]}; the kernel sums a scale group's products unscaled and multiplies
 * the sum once, so the scales cost one multiply-add per 8 rows and scale group.
 *
 * <p>Compared with bf16 the bytes per kept value halve; the extra work per value vector is two shifts (sign
 * extension of a byte lane) and an int-to-float conversion, which the decode loop has room for: it is bound by
 * memory, not issue.
 */
public final class Sparse24Int8Kernels {
    private static final VectorSpecies<Float> F = Sparse24Kernels.F;
    private static final VectorSpecies<Integer> I = Sparse24Kernels.I;
    private static final int LANES = Sparse24Kernels.LANES;
    private static final IntVector SHIFT_P0 = IntVector.fromArray(I, new int[] {0, 4, 8, 12, 16, 20, 24, 28}, 0);
    private static final IntVector SHIFT_P1 = IntVector.fromArray(I, new int[] {2, 6, 10, 14, 18, 22, 26, 30}, 0);

    private Sparse24Int8Kernels() {}

    /** The signed byte at bits {@code 24 - left .. 31 - left} of each lane, as floats. */
    private static FloatVector byteLane(IntVector v, int left) {
        IntVector s = left == 0 ? v : v.lanewise(VectorOperators.LSHL, left);
        return (FloatVector) s.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
    }

    /**
     * One token: y[yOff + r] = Σ_c W[r,c]·x[c] for the rows of row blocks [rbFrom, rbTo). {@code x} has at least
     * {@code 8*pairs} entries, zero padded.
     */
    public static void decode(int[] vals, int[] meta, float[] scales, int pairs, int scaleGroups, int pairsPerScale,
                              float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector total = FloatVector.zero(F);
            int p = 0, vi = rb * pairs * 8, mi = rb * pairs * 2, si = rb * scaleGroups * 8;
            for (int s = 0; s < scaleGroups; s++, si += 8) {
                int pEnd = Math.min(pairs, p + pairsPerScale);
                FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
                for (; p < pEnd; p++, vi += 8, mi += 2) {
                    IntVector xi = FloatVector.fromArray(F, x, 8 * p).reinterpretAsInts();
                    IntVector m0 = IntVector.broadcast(I, meta[mi]);
                    IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                    IntVector v = IntVector.fromArray(I, vals, vi);
                    FloatVector x00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                    FloatVector x11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4).selectFrom(xi).reinterpretAsFloats();
                    acc0 = byteLane(v, 24).fma(x00, acc0);
                    acc1 = byteLane(v, 16).fma(x01, acc1);
                    acc0 = byteLane(v, 8).fma(x10, acc0);
                    acc1 = byteLane(v, 0).fma(x11, acc1);
                }
                total = acc0.add(acc1).fma(FloatVector.fromArray(F, scales, si), total);
            }
            int r0 = rb * LANES;
            if (r0 + LANES <= rows) total.intoArray(y, yOff + r0);
            else storeLastRows(total.toArray(), y, yOff, r0, rows);
        }
    }

    /**
     * Four tokens at once (batched decode, short prompts): as {@link #decode} for token q's input at
     * {@code xp[xOff + q*cp ...]} (each zero padded to {@code cp} ≥ 8*pairs) into {@code y[yOff + q*yStride + r]}. The
     * picks and the widened values of a pair are computed once and used for the four tokens.
     */
    public static void decodeFour(int[] vals, int[] meta, float[] scales, int pairs, int scaleGroups, int pairsPerScale,
                                  float[] xp, int xOff, int cp, float[] y, int yOff, int yStride, int rows, int rbFrom, int rbTo) {
        int x0 = xOff, x1 = xOff + cp, x2 = x1 + cp, x3 = x2 + cp;
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            int p = 0, vi = rb * pairs * 8, mi = rb * pairs * 2, si = rb * scaleGroups * 8;
            for (int s = 0; s < scaleGroups; s++, si += 8) {
                int pEnd = Math.min(pairs, p + pairsPerScale);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
                for (; p < pEnd; p++, vi += 8, mi += 2) {
                    IntVector m0 = IntVector.broadcast(I, meta[mi]);
                    IntVector m1 = IntVector.broadcast(I, meta[mi + 1]);
                    IntVector i00 = m0.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3);
                    IntVector i01 = m0.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3);
                    IntVector i10 = m1.lanewise(VectorOperators.LSHR, SHIFT_P0).and(3).or(4);
                    IntVector i11 = m1.lanewise(VectorOperators.LSHR, SHIFT_P1).and(3).or(4);
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
            int r0 = rb * LANES;
            if (r0 + LANES <= rows) {
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

    /** Stores the rows of the last, partial row block; out of line for C2's inlining budget (see Sparse24Kernels). */
    private static void storeLastRows(float[] acc, float[] y, int yOff, int r0, int rows) {
        System.arraycopy(acc, 0, y, yOff + r0, rows - r0);
    }
}
