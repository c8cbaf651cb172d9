package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code y[t][r] = sum_k W[r][k] * x[t][k]} for rows {@code [rowFrom, rowTo)} of a row-major weight matrix kept in
 * its stored dtype. One method per (dtype, shape) pair, written out plainly: the matrix-vector forms stream the
 * weights once with four independent accumulators (batch-1 decode is bound by memory bandwidth); the
 * matrix-matrix forms load each chunk of a weight row once and use it for four tokens (prefill and batched decode).
 * bf16 is widened in registers (8 shorts → 8 ints, shift left 16, reinterpret as floats); f16 likewise with the
 * exponent rebias of {@link #f16}.
 */
public final class DenseMatMul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = F.length();
    /** The matrix-matrix kernel's species: 512 bits where available (see {@link #bf16MatMat}), else 256. */
    private static final VectorSpecies<Float> WF = Sparse24Kernels.PF;
    private static final VectorSpecies<Short> WS = WF.length() == 16 ? ShortVector.SPECIES_256 : S;
    private static final VectorSpecies<Integer> WI = WF.length() == 16 ? IntVector.SPECIES_512 : I;
    private static final int WL = WF.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    /** Tokens per tile of the matrix-matrix kernels: the tile of x (tokens × in floats) should stay in L2. */
    private static final int TOKEN_TILE = 32;

    private DenseMatMul() {}

    static FloatVector bf16Wide(MemorySegment w, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(WS, w, byteOffset, LE);
        return ((IntVector) s.convertShape(VectorOperators.S2I, WI, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    private static FloatVector bf16(MemorySegment w, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(S, w, byteOffset, LE);
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * 8 IEEE half floats → 8 floats, exactly: normal numbers by moving exponent and mantissa into float position and
     * adding the difference of the exponent biases (112) to the exponent; subnormals and zero (|h| < 0x400, mantissa
     * m) as the float 2^-14·(1 + m/1024) minus 2^-14 = m·2^-24 (exact, and no float denormals, which cost microcode
     * assists); inf/NaN get the all-ones float exponent; then the sign.
     */
    private static FloatVector f16(MemorySegment w, long byteOffset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, byteOffset, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = h.and(0x7FFF);
        IntVector normal = magnitude.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        IntVector small = normal.add(1 << 23).reinterpretAsFloats().sub(0x1p-14f).reinterpretAsInts();
        IntVector bits = normal.blend(small, magnitude.lt(0x400));
        bits = bits.blend(bits.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    // ---------------------------------------------------------------- bf16

    /**
     * Four rows at a time, one accumulator each: four independent weight streams keep more cache-line fills in
     * flight than one row with four accumulators (measured ~15-25 % more bandwidth on one core), and each x chunk is
     * loaded once for the four rows.
     */
    public static void bf16MatVec(MemorySegment w, int in, float[] x, float[] y, int rowFrom, int rowTo) {
        int bound = in - in % L;
        long rowBytes = 2L * in;
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            long r0 = r * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F),
                    a3 = FloatVector.zero(F);
            int k = 0;
            for (; k < bound; k += L) {
                FloatVector xv = FloatVector.fromArray(F, x, k);
                long o = 2L * k;
                a0 = bf16(w, r0 + o).fma(xv, a0);
                a1 = bf16(w, r1 + o).fma(xv, a1);
                a2 = bf16(w, r2 + o).fma(xv, a2);
                a3 = bf16(w, r3 + o).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                    s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; k < in; k++) {
                long o = 2L * k;
                s0 += bf16ToFloat(w.get(SHORT, r0 + o)) * x[k];
                s1 += bf16ToFloat(w.get(SHORT, r1 + o)) * x[k];
                s2 += bf16ToFloat(w.get(SHORT, r2 + o)) * x[k];
                s3 += bf16ToFloat(w.get(SHORT, r3 + o)) * x[k];
            }
            y[r] = s0;
            y[r + 1] = s1;
            y[r + 2] = s2;
            y[r + 3] = s3;
        }
        for (; r < rowTo; r++) y[r] = bf16Row(w, in, x, r);
    }

    /**
     * One row of {@link #bf16MatVec}: out of line so that {@link #bf16} is inlined here (at the rarely run leftover
     * rows inside bf16MatVec, C2 declined it once it was compiled on its own, and boxed the vectors).
     */
    private static float bf16Row(MemorySegment w, int in, float[] x, int r) {
        int bound = in - in % L;
        long row = r * 2L * in;
        FloatVector a0 = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += L) a0 = bf16(w, row + 2L * k).fma(FloatVector.fromArray(F, x, k), a0);
        float sum = a0.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) sum += bf16ToFloat(w.get(SHORT, row + 2L * k)) * x[k];
        return sum;
    }

    /**
     * Two rows × four tokens per pass: eight accumulators, so each widened weight vector and each x vector feeds
     * several FMAs (one row × four tokens is bound by the loads and conversions, not the multiply-adds: batched
     * decode and prefill are arithmetic-bound). Leftover rows and tokens take the plainer tiles. Vectors are
     * 512 bits where the CPU has them: being bound by instruction issue, the kernel gains from halving the
     * instructions (2048 × 8192, 512 tokens: 8 % faster than 256 bits on this machine).
     *
     * <p>Each tile shape is a method of its own, this one only walks the tiles, and the accumulators are summed
     * through an array. Written as one method summing vectors, the four tiles' inlined vector code passed C2's node
     * budget (NodeCountInliningCutoff), so {@link Lanes#sum(FloatVector)} and {@link #bf16Wide} were called out of
     * line, every vector passed to them boxed: batched decode allocated ~2 GB/s, ran at about half speed and varied
     * 4× from run to run with the order things compiled in (docs/benchmarks.md, "Vectors boxed where C2 stopped
     * inlining"). {@code KernelInliningTest} keeps it so.
     */
    public static void bf16MatMat(MemorySegment w, int in, int out, float[] x, float[] y, int tokens,
                                  int rowFrom, int rowTo) {
        float[] acc = new float[8 * WL]; // the tiles' accumulators' lanes, summed as arrays (Lanes.sum(float[], ...))
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            int t1 = Math.min(tokens, t0 + TOKEN_TILE);
            int r = rowFrom;
            if (t1 - t0 >= 4) {
                for (; r + 2 <= rowTo; r += 2) {
                    int t = t0;
                    for (; t + 4 <= t1; t += 4) bf16TwoRowsFourTokens(w, in, out, x, y, r, t, acc);
                    for (; t < t1; t++) bf16TwoRowsOneToken(w, in, out, x, y, r, t, acc);
                }
            }
            for (; r < rowTo; r++) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) bf16RowFourTokens(w, in, out, x, y, r, t, acc);
                for (; t < t1; t++) bf16RowOneToken(w, in, out, x, y, r, t, acc);
            }
        }
    }

    /** Rows r, r+1 × tokens t..t+3 of {@link #bf16MatMat}. */
    private static void bf16TwoRowsFourTokens(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                              float[] acc) {
        int bound = in - in % WL;
        long row0 = (long) r * in * 2, row1 = row0 + 2L * in;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(WF), a1 = FloatVector.zero(WF), a2 = FloatVector.zero(WF),
                a3 = FloatVector.zero(WF), b0 = FloatVector.zero(WF), b1 = FloatVector.zero(WF),
                b2 = FloatVector.zero(WF), b3 = FloatVector.zero(WF);
        int k = 0;
        for (; k < bound; k += WL) {
            FloatVector w0 = bf16Wide(w, row0 + 2L * k), w1 = bf16Wide(w, row1 + 2L * k);
            FloatVector v0 = FloatVector.fromArray(WF, x, x0 + k), v1 = FloatVector.fromArray(WF, x, x1 + k),
                    v2 = FloatVector.fromArray(WF, x, x2 + k), v3 = FloatVector.fromArray(WF, x, x3 + k);
            a0 = w0.fma(v0, a0);
            a1 = w0.fma(v1, a1);
            a2 = w0.fma(v2, a2);
            a3 = w0.fma(v3, a3);
            b0 = w1.fma(v0, b0);
            b1 = w1.fma(v1, b1);
            b2 = w1.fma(v2, b2);
            b3 = w1.fma(v3, b3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, WL);
        a2.intoArray(acc, 2 * WL);
        a3.intoArray(acc, 3 * WL);
        float s0 = Lanes.sum(acc, 0, WL), s1 = Lanes.sum(acc, WL, WL), s2 = Lanes.sum(acc, 2 * WL, WL), s3 = Lanes.sum(acc, 3 * WL, WL);
        b0.intoArray(acc, 4 * WL);
        b1.intoArray(acc, 5 * WL);
        b2.intoArray(acc, 6 * WL);
        b3.intoArray(acc, 7 * WL);
        float u0 = Lanes.sum(acc, 4 * WL, WL), u1 = Lanes.sum(acc, 5 * WL, WL), u2 = Lanes.sum(acc, 6 * WL, WL), u3 = Lanes.sum(acc, 7 * WL, WL);
        for (; k < in; k++) {
            float wa = bf16ToFloat(w.get(SHORT, row0 + 2L * k)), wb = bf16ToFloat(w.get(SHORT, row1 + 2L * k));
            s0 += wa * x[x0 + k];
            s1 += wa * x[x1 + k];
            s2 += wa * x[x2 + k];
            s3 += wa * x[x3 + k];
            u0 += wb * x[x0 + k];
            u1 += wb * x[x1 + k];
            u2 += wb * x[x2 + k];
            u3 += wb * x[x3 + k];
        }
        y[t * out + r] = s0;
        y[(t + 1) * out + r] = s1;
        y[(t + 2) * out + r] = s2;
        y[(t + 3) * out + r] = s3;
        y[t * out + r + 1] = u0;
        y[(t + 1) * out + r + 1] = u1;
        y[(t + 2) * out + r + 1] = u2;
        y[(t + 3) * out + r + 1] = u3;
    }

    /** Rows r, r+1 × token t of {@link #bf16MatMat}. */
    private static void bf16TwoRowsOneToken(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                            float[] acc) {
        int bound = in - in % WL;
        long row0 = (long) r * in * 2, row1 = row0 + 2L * in;
        int x0 = t * in;
        FloatVector a0 = FloatVector.zero(WF), b0 = FloatVector.zero(WF);
        int k = 0;
        for (; k < bound; k += WL) {
            FloatVector v0 = FloatVector.fromArray(WF, x, x0 + k);
            a0 = bf16Wide(w, row0 + 2L * k).fma(v0, a0);
            b0 = bf16Wide(w, row1 + 2L * k).fma(v0, b0);
        }
        a0.intoArray(acc, 0);
        b0.intoArray(acc, WL);
        float s0 = Lanes.sum(acc, 0, WL), u0 = Lanes.sum(acc, WL, WL);
        for (; k < in; k++) {
            s0 += bf16ToFloat(w.get(SHORT, row0 + 2L * k)) * x[x0 + k];
            u0 += bf16ToFloat(w.get(SHORT, row1 + 2L * k)) * x[x0 + k];
        }
        y[t * out + r] = s0;
        y[t * out + r + 1] = u0;
    }

    /** Row r × tokens t..t+3 of {@link #bf16MatMat}. */
    private static void bf16RowFourTokens(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                          float[] acc) {
        int bound = in - in % WL;
        long row = (long) r * in * 2;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(WF), a1 = FloatVector.zero(WF), a2 = FloatVector.zero(WF),
                a3 = FloatVector.zero(WF);
        int k = 0;
        for (; k < bound; k += WL) {
            FloatVector wv = bf16Wide(w, row + 2L * k);
            a0 = wv.fma(FloatVector.fromArray(WF, x, x0 + k), a0);
            a1 = wv.fma(FloatVector.fromArray(WF, x, x1 + k), a1);
            a2 = wv.fma(FloatVector.fromArray(WF, x, x2 + k), a2);
            a3 = wv.fma(FloatVector.fromArray(WF, x, x3 + k), a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, WL);
        a2.intoArray(acc, 2 * WL);
        a3.intoArray(acc, 3 * WL);
        float s0 = Lanes.sum(acc, 0, WL), s1 = Lanes.sum(acc, WL, WL), s2 = Lanes.sum(acc, 2 * WL, WL), s3 = Lanes.sum(acc, 3 * WL, WL);
        for (; k < in; k++) {
            float wk = bf16ToFloat(w.get(SHORT, row + 2L * k));
            s0 += wk * x[x0 + k];
            s1 += wk * x[x1 + k];
            s2 += wk * x[x2 + k];
            s3 += wk * x[x3 + k];
        }
        y[t * out + r] = s0;
        y[(t + 1) * out + r] = s1;
        y[(t + 2) * out + r] = s2;
        y[(t + 3) * out + r] = s3;
    }

    /** Row r × token t of {@link #bf16MatMat}. */
    private static void bf16RowOneToken(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                        float[] acc) {
        int bound = in - in % WL;
        long row = (long) r * in * 2;
        int x0 = t * in;
        FloatVector a0 = FloatVector.zero(WF);
        int k = 0;
        for (; k < bound; k += WL) a0 = bf16Wide(w, row + 2L * k).fma(FloatVector.fromArray(WF, x, x0 + k), a0);
        a0.intoArray(acc, 0);
        float s0 = Lanes.sum(acc, 0, WL);
        for (; k < in; k++) s0 += bf16ToFloat(w.get(SHORT, row + 2L * k)) * x[x0 + k];
        y[t * out + r] = s0;
    }

    // ---------------------------------------------------------------- f32

    public static void f32MatVec(MemorySegment w, int in, float[] x, float[] y, int rowFrom, int rowTo) {
        int bound = in - in % (4 * L);
        int bound1 = in - in % L;
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * in * 4;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F),
                    a3 = FloatVector.zero(F);
            int k = 0;
            for (; k < bound; k += 4 * L) {
                long o = row + 4L * k;
                a0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(FloatVector.fromArray(F, x, k), a0);
                a1 = FloatVector.fromMemorySegment(F, w, o + 4L * L, LE).fma(FloatVector.fromArray(F, x, k + L), a1);
                a2 = FloatVector.fromMemorySegment(F, w, o + 8L * L, LE).fma(FloatVector.fromArray(F, x, k + 2 * L), a2);
                a3 = FloatVector.fromMemorySegment(F, w, o + 12L * L, LE).fma(FloatVector.fromArray(F, x, k + 3 * L), a3);
            }
            for (; k < bound1; k += L) {
                a0 = FloatVector.fromMemorySegment(F, w, row + 4L * k, LE).fma(FloatVector.fromArray(F, x, k), a0);
            }
            float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (; k < in; k++) sum += w.get(FLOAT, row + 4L * k) * x[k];
            y[r] = sum;
        }
    }

    public static void f32MatMat(MemorySegment w, int in, int out, float[] x, float[] y, int tokens,
                                 int rowFrom, int rowTo) {
        float[] acc = new float[4 * L];
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            int t1 = Math.min(tokens, t0 + TOKEN_TILE);
            for (int r = rowFrom; r < rowTo; r++) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) f32RowFourTokens(w, in, out, x, y, r, t, acc);
                for (; t < t1; t++) f32RowOneToken(w, in, out, x, y, r, t, acc);
            }
        }
    }

    /** Row r × tokens t..t+3 of {@link #f32MatMat}: a method of its own for C2's inlining budget (see {@link #bf16MatMat}). */
    private static void f32RowFourTokens(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                         float[] acc) {
        int bound = in - in % L;
        long row = (long) r * in * 4;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F),
                a3 = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, row + 4L * k, LE);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
        float s0 = Lanes.sum(acc, 0, L), s1 = Lanes.sum(acc, L, L), s2 = Lanes.sum(acc, 2 * L, L), s3 = Lanes.sum(acc, 3 * L, L);
        for (; k < in; k++) {
            float wk = w.get(FLOAT, row + 4L * k);
            s0 += wk * x[x0 + k];
            s1 += wk * x[x1 + k];
            s2 += wk * x[x2 + k];
            s3 += wk * x[x3 + k];
        }
        y[t * out + r] = s0;
        y[(t + 1) * out + r] = s1;
        y[(t + 2) * out + r] = s2;
        y[(t + 3) * out + r] = s3;
    }

    /** Row r × token t of {@link #f32MatMat}. */
    private static void f32RowOneToken(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                       float[] acc) {
        int bound = in - in % L;
        long row = (long) r * in * 4;
        int x0 = t * in;
        FloatVector a0 = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += L) a0 = FloatVector.fromMemorySegment(F, w, row + 4L * k, LE).fma(FloatVector.fromArray(F, x, x0 + k), a0);
        a0.intoArray(acc, 0);
        float s0 = Lanes.sum(acc, 0, L);
        for (; k < in; k++) s0 += w.get(FLOAT, row + 4L * k) * x[x0 + k];
        y[t * out + r] = s0;
    }

    // ---------------------------------------------------------------- f16 (same loops, half-float conversion)

    /**
     * As {@link #bf16MatVec} but one row at a time: the half-float conversion is long enough that four inlined copies
     * per loop exceed C2's inlining budget and the vector code falls back to boxed objects (measured 3 GB/s; one row:
     * 6 GB/s on one core, bound by the conversion's dozen operations per 8 weights, bf16 reaching 12 there).
     */
    public static void f16MatVec(MemorySegment w, int in, float[] x, float[] y, int rowFrom, int rowTo) {
        int bound = in - in % L;
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * in * 2;
            FloatVector a0 = FloatVector.zero(F);
            int k = 0;
            for (; k < bound; k += L) a0 = f16(w, row + 2L * k).fma(FloatVector.fromArray(F, x, k), a0);
            float sum = a0.reduceLanes(VectorOperators.ADD);
            for (; k < in; k++) sum += Float.float16ToFloat(w.get(SHORT, row + 2L * k)) * x[k];
            y[r] = sum;
        }
    }

    public static void f16MatMat(MemorySegment w, int in, int out, float[] x, float[] y, int tokens,
                                 int rowFrom, int rowTo) {
        float[] acc = new float[4 * L];
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            int t1 = Math.min(tokens, t0 + TOKEN_TILE);
            for (int r = rowFrom; r < rowTo; r++) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) f16RowFourTokens(w, in, out, x, y, r, t, acc);
                for (; t < t1; t++) f16RowOneToken(w, in, out, x, y, r, t, acc);
            }
        }
    }

    /** Row r × tokens t..t+3 of {@link #f16MatMat}: a method of its own for C2's inlining budget (see {@link #bf16MatMat}). */
    private static void f16RowFourTokens(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                         float[] acc) {
        int bound = in - in % L;
        long row = (long) r * in * 2;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F),
                a3 = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += L) {
            FloatVector wv = f16(w, row + 2L * k);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + k), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + k), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + k), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + k), a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
        float s0 = Lanes.sum(acc, 0, L), s1 = Lanes.sum(acc, L, L), s2 = Lanes.sum(acc, 2 * L, L), s3 = Lanes.sum(acc, 3 * L, L);
        for (; k < in; k++) {
            float wk = Float.float16ToFloat(w.get(SHORT, row + 2L * k));
            s0 += wk * x[x0 + k];
            s1 += wk * x[x1 + k];
            s2 += wk * x[x2 + k];
            s3 += wk * x[x3 + k];
        }
        y[t * out + r] = s0;
        y[(t + 1) * out + r] = s1;
        y[(t + 2) * out + r] = s2;
        y[(t + 3) * out + r] = s3;
    }

    /** Row r × token t of {@link #f16MatMat}. */
    private static void f16RowOneToken(MemorySegment w, int in, int out, float[] x, float[] y, int r, int t,
                                       float[] acc) {
        int bound = in - in % L;
        long row = (long) r * in * 2;
        int x0 = t * in;
        FloatVector a0 = FloatVector.zero(F);
        int k = 0;
        for (; k < bound; k += L) a0 = f16(w, row + 2L * k).fma(FloatVector.fromArray(F, x, x0 + k), a0);
        a0.intoArray(acc, 0);
        float s0 = Lanes.sum(acc, 0, L);
        for (; k < in; k++) s0 += Float.float16ToFloat(w.get(SHORT, row + 2L * k)) * x[x0 + k];
        y[t * out + r] = s0;
    }
}
