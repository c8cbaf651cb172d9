package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels for a 2:4 core with 4-bit kept values ({@code armor.runtime.linear.Sparse24Int4Matrix}). Rows are in the
 * lanes of a vector ({@link DenseInt4MatMul#ROWS}: 16 on AVX-512, 8 on AVX2), and a <em>word</em> is eight kept values
 * of a row: four groups, 16 dense input columns. For row block {@code rb} and word j, lane i (row {@code rb*ROWS + i})
 * has
 * <ul>
 *   <li>{@code vals[(rb*words + j)*ROWS + i]}: kept value {@code 8j+k} in bits {@code 4k..4k+3} as a signed 4-bit
 *       code (two's complement; so a sign-extending shift takes it out);</li>
 *   <li>{@code meta[(rb*words + j)*ROWS + i]}: the four groups' nibbles {@code p0 | p1 << 2}, group {@code 4j+q} in
 *       bits {@code 4q..4q+3} (a padding group past the row: positions 0, 1 and codes 0);</li>
 *   <li>{@code scales}, {@code zeroScales} at {@code [(rb*scaleGroups + s)*ROWS + i]}: the scale of scale group s
 *       (each {@code wordsPerScale} words) and the scale times the zero point (null when symmetric).</li>
 * </ul>
 * Decode loads 16 input columns (one vector on AVX-512, two on AVX2) and picks each lane's input by a lane permute
 * whose indices come from the positions (bits {@code 2k..2k+1} of the lane's metadata for kept value k, plus its
 * group's first column in the vector), as {@link Sparse24Int8Kernels} does for pairs of groups. The loop body is
 * written out with no helper methods: with sixteen small helpers C2 left some calls out of line and boxed their
 * vectors, and decode ran 8× slower than 2:4-int8 (measured with {@code armor bench}).
 */
public final class Sparse24Int4Kernels {
    private static final int ROWS = DenseInt4MatMul.ROWS;
    private static final VectorSpecies<Integer> I = ROWS == 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = ROWS == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ROWS == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    /** Dense input columns per word. */
    public static final int COLS = 16;

    private Sparse24Int4Kernels() {}

    /** Where groups 2 and 3 of a word sit in the input vector they pick from: its upper half, or a second vector. */
    private static final int HI = ROWS == 16 ? 8 : 0;

    /**
     * One token, row blocks [rbFrom, rbTo): {@code y[yOff + r] = Σ_c W[r,c]·x[c]} for the real rows. {@code x} has at
     * least {@code 16*words} entries, zero past the real columns.
     */
    public static void decode(int[] vals, short[] meta, float[] scales, float[] zeroScales, int words, int scaleGroups,
                              int wordsPerScale, float[] x, float[] y, int yOff, int rows, int rbFrom, int rbTo) {
        boolean zeros = zeroScales != null;
        int hi = ROWS == 16 ? 8 : 0; // where groups 2 and 3 sit: the upper half of one vector, or a second vector
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector total = FloatVector.zero(F);
            int o = rb * words * ROWS, so = rb * scaleGroups * ROWS, j = 0;
            for (int s = 0; s < scaleGroups; s++, so += ROWS) {
                int jEnd = Math.min(words, j + wordsPerScale);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), sx = FloatVector.zero(F);
                for (; j < jEnd; j++, o += ROWS) {
                    IntVector m = (IntVector) ShortVector.fromArray(S, meta, o).convertShape(VectorOperators.S2I, I, 0);
                    IntVector v = IntVector.fromArray(I, vals, o);
                    int c = COLS * j;
                    IntVector xa = FloatVector.fromArray(F, x, c).reinterpretAsInts();
                    IntVector xb = ROWS == 16 ? xa : FloatVector.fromArray(F, x, c + 8).reinterpretAsInts();
                    FloatVector x0 = m.and(3).selectFrom(xa).reinterpretAsFloats();
                    FloatVector x1 = m.lanewise(VectorOperators.LSHR, 2).and(3).selectFrom(xa).reinterpretAsFloats();
                    FloatVector x2 = m.lanewise(VectorOperators.LSHR, 4).and(3).or(4).selectFrom(xa).reinterpretAsFloats();
                    FloatVector x3 = m.lanewise(VectorOperators.LSHR, 6).and(3).or(4).selectFrom(xa).reinterpretAsFloats();
                    FloatVector x4 = m.lanewise(VectorOperators.LSHR, 8).and(3).or(HI).selectFrom(xb).reinterpretAsFloats();
                    FloatVector x5 = m.lanewise(VectorOperators.LSHR, 10).and(3).or(HI).selectFrom(xb).reinterpretAsFloats();
                    FloatVector x6 = m.lanewise(VectorOperators.LSHR, 12).and(3).or(HI + 4).selectFrom(xb).reinterpretAsFloats();
                    FloatVector x7 = m.lanewise(VectorOperators.LSHR, 14).and(3).or(HI + 4).selectFrom(xb).reinterpretAsFloats();
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x0, a0);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x1, a1);
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 20).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x2, a0);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x3, a1);
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x4, a0);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x5, a1);
                    a0 = ((FloatVector) v.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x6, a0);
                    a1 = ((FloatVector) v.lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0)).fma(x7, a1);
                    if (zeros) sx = sx.add(x0.add(x1).add(x2.add(x3)).add(x4.add(x5).add(x6.add(x7))));
                }
                total = a0.add(a1).fma(FloatVector.fromArray(F, scales, so), total);
                if (zeros) total = FloatVector.fromArray(F, zeroScales, so).neg().fma(sx, total);
            }
            if (rb * ROWS + ROWS <= rows) total.intoArray(y, yOff + rb * ROWS);
            else DenseInt4MatMul.storeLastRows(total.toArray(), y, yOff, rb * ROWS, rows);
        }
    }

    /**
     * Four tokens, row blocks [rbFrom, rbTo): as {@link #decode} for the inputs at {@code xp[xOff + q·cp ..]}
     * ({@code q < 4}, each padded as decode's x) into {@code y[yOff + q·yStride + r]}. Each kept value's widening and
     * its lane permute's indices are computed once and used for the four tokens (one permute and one FMA a token;
     * the permutes then bound it): one 8192 × 2048 layer, 2 threads, 8 tokens 4.1 ms against 5.1 decoded one by one.
     */
    public static void decodeFour(int[] vals, short[] meta, float[] scales, float[] zeroScales, int words, int scaleGroups,
                                  int wordsPerScale, float[] xp, int xOff, int cp, float[] y, int yOff, int yStride,
                                  int rows, int rbFrom, int rbTo) {
        boolean zeros = zeroScales != null;
        for (int rb = rbFrom; rb < rbTo; rb++) {
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            int o = rb * words * ROWS, so = rb * scaleGroups * ROWS, j = 0;
            for (int s = 0; s < scaleGroups; s++, so += ROWS) {
                int jEnd = Math.min(words, j + wordsPerScale);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
                for (; j < jEnd; j++, o += ROWS) {
                    IntVector m = (IntVector) ShortVector.fromArray(S, meta, o).convertShape(VectorOperators.S2I, I, 0);
                    IntVector v = IntVector.fromArray(I, vals, o);
                    int c = xOff + COLS * j;
                    for (int k = 0; k < 8; k++) {
                        int group = k >>> 1; // groups 0, 1 in the first 8 columns; 2, 3 in the upper half or a second vector
                        int first = (group & 1) * 4 + (group >= 2 ? HI : 0), xc = c + (group >= 2 && ROWS != 16 ? 8 : 0);
                        FloatVector w = (FloatVector) v.lanewise(VectorOperators.LSHL, 28 - 4 * k).lanewise(VectorOperators.ASHR, 28)
                                .convert(VectorOperators.I2F, 0);
                        IntVector pick = m.lanewise(VectorOperators.LSHR, 2 * k).and(3).or(first);
                        FloatVector x0 = pick.selectFrom(FloatVector.fromArray(F, xp, xc).reinterpretAsInts()).reinterpretAsFloats();
                        FloatVector x1 = pick.selectFrom(FloatVector.fromArray(F, xp, xc + cp).reinterpretAsInts()).reinterpretAsFloats();
                        FloatVector x2 = pick.selectFrom(FloatVector.fromArray(F, xp, xc + 2 * cp).reinterpretAsInts()).reinterpretAsFloats();
                        FloatVector x3 = pick.selectFrom(FloatVector.fromArray(F, xp, xc + 3 * cp).reinterpretAsInts()).reinterpretAsFloats();
                        a0 = w.fma(x0, a0);
                        a1 = w.fma(x1, a1);
                        a2 = w.fma(x2, a2);
                        a3 = w.fma(x3, a3);
                        if (zeros) {
                            s0 = s0.add(x0);
                            s1 = s1.add(x1);
                            s2 = s2.add(x2);
                            s3 = s3.add(x3);
                        }
                    }
                }
                FloatVector scale = FloatVector.fromArray(F, scales, so);
                t0 = a0.fma(scale, t0);
                t1 = a1.fma(scale, t1);
                t2 = a2.fma(scale, t2);
                t3 = a3.fma(scale, t3);
                if (zeros) {
                    FloatVector nz = FloatVector.fromArray(F, zeroScales, so).neg();
                    t0 = nz.fma(s0, t0);
                    t1 = nz.fma(s1, t1);
                    t2 = nz.fma(s2, t2);
                    t3 = nz.fma(s3, t3);
                }
            }
            int r0 = rb * ROWS;
            if (r0 + ROWS <= rows) {
                t0.intoArray(y, yOff + r0);
                t1.intoArray(y, yOff + yStride + r0);
                t2.intoArray(y, yOff + 2 * yStride + r0);
                t3.intoArray(y, yOff + 3 * yStride + r0);
            } else {
                DenseInt4MatMul.storeLastRows(t0.toArray(), y, yOff, r0, rows);
                DenseInt4MatMul.storeLastRows(t1.toArray(), y, yOff + yStride, r0, rows);
                DenseInt4MatMul.storeLastRows(t2.toArray(), y, yOff + 2 * yStride, r0, rows);
                DenseInt4MatMul.storeLastRows(t3.toArray(), y, yOff + 3 * yStride, r0, rows);
            }
        }
    }

    /**
     * The real rows of 8-row blocks [b8From, b8To) dequantized into {@link Sparse24Kernels}' float32 layout, block
     * {@code b8} at block {@code b8 - b8From} of {@code v32} (16 floats a group: the first kept value of its 8 rows, then
     * the second) and {@code m32} (one int of 8 nibbles a group), for {@link Sparse24Kernels#prefill}: so that many
     * tokens multiply only the kept half, as the int8 core does ({@link Sparse24Int8Kernels#toFloatLayout}). Rows past
     * {@code rows} are left zero (positions 0, 0 and values 0: they add nothing). Scalar: it runs once per chunk and
     * batch, against a prefill of a whole tile of tokens per kept value.
     */
    public static void toFloatLayout(int[] vals, short[] meta, float[] scales, float[] zeroScales, int words, int scaleGroups,
                                     int wordsPerScale, int groups, int rows, int b8From, int b8To, float[] v32, int[] m32) {
        java.util.Arrays.fill(v32, 0, (b8To - b8From) * groups * 16, 0f);
        java.util.Arrays.fill(m32, 0, (b8To - b8From) * groups, 0);
        for (int r = b8From * 8; r < Math.min(rows, b8To * 8); r++) {
            int rb = r / ROWS, lane = r % ROWS, local = r - b8From * 8;
            for (int g = 0; g < groups; g++) {
                int j = g >>> 2, q = g & 3;
                int o = (rb * words + j) * ROWS + lane, so = (rb * scaleGroups + Math.min(scaleGroups - 1, j / wordsPerScale)) * ROWS + lane;
                int v = vals[o], m = meta[o];
                float sc = scales[so], zs = zeroScales == null ? 0f : zeroScales[so];
                int q0 = (v << (28 - 8 * q)) >> 28, q1 = (v << (24 - 8 * q)) >> 28;
                int nib = (m >>> (4 * q)) & 15;
                int vo = ((local >>> 3) * groups + g) * 16 + (local & 7);
                v32[vo] = q0 * sc - zs;
                v32[vo + 8] = q1 * sc - zs;
                m32[(local >>> 3) * groups + g] |= nib << (4 * (local & 7));
            }
        }
    }
}
