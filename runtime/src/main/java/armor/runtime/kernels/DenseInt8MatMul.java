package armor.runtime.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[t][r] = Σ_k W[r][k]·x[t][k]} for a row-major int8 weight with one float scale per row and group of
 * {@code group} columns ({@code W[r][k] = q[r*in + k] · scales[r*(in/group) + k/group]}), activations float32.
 *
 * <p>Decode (one token) streams the int8 rows: a byte vector is widened to floats in registers (sign extension and
 * int-to-float conversion, both single instructions), multiplied into an unscaled per-group accumulator, and the
 * group's sum is scaled once at the group's end, so the scales cost one multiply-add per row and group. Four rows per
 * pass keep four weight streams in flight and load each x vector once for the four, as the bf16 kernel does.
 *
 * <p>A few tokens (batched decode) dequantize two rows at a time into a small float32 buffer that stays in L1, then
 * run every token of the tile against it with two rows × four tokens per pass: the conversion is paid once per row
 * and token tile, not once per token. Prefill ({@link DenseGemm#MIN_TOKENS} tokens and more) dequantizes panels
 * ({@link #dequantizePanel}) for {@link DenseGemm}'s register tiles, the float formats' kernel: 1.0× dense bf16's
 * prefill against 0.6× with the two-row buffers (llama-3.2-1b shapes, 256 tokens, AVX2).
 *
 * <p>Vectors are 512 bits where the CPU has them (16 floats from 16 bytes), else 256: widening costs instructions,
 * and the wider vector halves them.
 */
public final class DenseInt8MatMul {
    private static final VectorSpecies<Float> F = Sparse24Kernels.PF;
    private static final VectorSpecies<Byte> B = F.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int L = F.length();
    /** Tokens per tile of the matrix-matrix kernel: the tile of x (tokens × in floats) should stay in L2. */
    private static final int TOKEN_TILE = 32;

    private DenseInt8MatMul() {}

    private static FloatVector widen(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * One token, rows [rowFrom, rowTo): y[yOff + r] = Σ_k W[r][k]·x[xOff + k]. {@code group} divides {@code in}; a
     * group that is not a multiple of the vector length (only a whole row of odd length) finishes its last columns in
     * scalar code. The offsets let a block-diagonal matrix use it block by block (rows of block k read x from kb).
     */
    public static void matVec(byte[] q, float[] scales, int in, int group, float[] x, int xOff, float[] y, int yOff,
                              int rowFrom, int rowTo) {
        int gpr = in / group, vecEnd = group - group % L;
        int r = rowFrom;
        for (; r + 4 <= rowTo; r += 4) {
            int q0 = r * in, q1 = q0 + in, q2 = q1 + in, q3 = q2 + in, s0i = r * gpr;
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            float tail0 = 0, tail1 = 0, tail2 = 0, tail3 = 0;
            for (int g = 0; g < gpr; g++) {
                int base = g * group;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                int k = 0;
                for (; k < vecEnd; k += L) {
                    int c = base + k;
                    FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                    a0 = widen(q, q0 + c).fma(xv, a0);
                    a1 = widen(q, q1 + c).fma(xv, a1);
                    a2 = widen(q, q2 + c).fma(xv, a2);
                    a3 = widen(q, q3 + c).fma(xv, a3);
                }
                float sc0 = scales[s0i + g], sc1 = scales[s0i + gpr + g], sc2 = scales[s0i + 2 * gpr + g], sc3 = scales[s0i + 3 * gpr + g];
                t0 = a0.fma(FloatVector.broadcast(F, sc0), t0);
                t1 = a1.fma(FloatVector.broadcast(F, sc1), t1);
                t2 = a2.fma(FloatVector.broadcast(F, sc2), t2);
                t3 = a3.fma(FloatVector.broadcast(F, sc3), t3);
                if (k < group) {
                    float u0 = 0, u1 = 0, u2 = 0, u3 = 0;
                    for (; k < group; k++) {
                        int c = base + k;
                        float xk = x[xOff + c];
                        u0 += q[q0 + c] * xk;
                        u1 += q[q1 + c] * xk;
                        u2 += q[q2 + c] * xk;
                        u3 += q[q3 + c] * xk;
                    }
                    tail0 += u0 * sc0;
                    tail1 += u1 * sc1;
                    tail2 += u2 * sc2;
                    tail3 += u3 * sc3;
                }
            }
            y[yOff + r] = t0.reduceLanes(VectorOperators.ADD) + tail0;
            y[yOff + r + 1] = t1.reduceLanes(VectorOperators.ADD) + tail1;
            y[yOff + r + 2] = t2.reduceLanes(VectorOperators.ADD) + tail2;
            y[yOff + r + 3] = t3.reduceLanes(VectorOperators.ADD) + tail3;
        }
        for (; r < rowTo; r++) y[yOff + r] = rowDot(q, scales, in, group, r, x, xOff);
    }

    /** Rows of a block of the packed layout ({@link #pack}). */
    public static final int PACK_ROWS = 4;

    /**
     * Whether rows of {@code cols} columns with groups of {@code group} can use the packed layout: every vector of a
     * chunk must lie inside one group (the group is the whole row, or a multiple of the vector length).
     */
    public static boolean packable(int cols, int group) {
        return group == cols || group % L == 0;
    }

    /**
     * The packed layout of a row-major {@code rows × cols} int8 matrix: rows in blocks of {@link #PACK_ROWS} (the last
     * padded with zero rows), and inside a block the four rows interleaved in chunks of one vector's bytes (16 on
     * AVX-512, 8 on AVX2): {@code [r0 c0..L) [r1 c0..L) [r2 c0..L) [r3 c0..L) [r0 cL..2L) ...}, then the columns past
     * the last whole chunk row by row. A decode pass over four rows then reads one sequential stream: with the rows
     * apart (2 KiB each at 2048 columns, half a page) the hardware prefetcher kept restarting, and the same kernel
     * streamed 14 GB/s per core against 23 GB/s interleaved (thread CPU time, 8192 × 2048, Zen 5; bf16 rows, a whole
     * page each, streamed 20 GB/s row by row).
     */
    public static byte[] pack(byte[] q, int rows, int cols) {
        int blocks = (rows + PACK_ROWS - 1) / PACK_ROWS, vec = cols - cols % L, tail = cols - vec;
        byte[] p = new byte[Math.multiplyExact(blocks * PACK_ROWS, cols)];
        for (int r = 0; r < rows; r++) {
            int base = r / PACK_ROWS * PACK_ROWS * cols, j = r % PACK_ROWS;
            for (int c = 0; c < vec; c += L) System.arraycopy(q, r * cols + c, p, base + c * PACK_ROWS + j * L, L);
            System.arraycopy(q, r * cols + vec, p, base + PACK_ROWS * vec + j * tail, tail);
        }
        return p;
    }

    /** The row-major codes back from {@link #pack}'s layout. */
    public static byte[] unpack(byte[] p, int rows, int cols) {
        int vec = cols - cols % L, tail = cols - vec;
        byte[] q = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            int base = r / PACK_ROWS * PACK_ROWS * cols, j = r % PACK_ROWS;
            for (int c = 0; c < vec; c += L) System.arraycopy(p, base + c * PACK_ROWS + j * L, q, r * cols + c, L);
            System.arraycopy(p, base + PACK_ROWS * vec + j * tail, q, r * cols + vec, tail);
        }
        return q;
    }

    /**
     * One token over the packed layout, row blocks [rbFrom, rbTo) of four rows: y[r] = Σ_k W[r][k]·x[k] for the real
     * rows ({@code r < rows}). {@link #packable} must hold.
     */
    public static void packedMatVec(byte[] p, float[] scales, int rows, int cols, int group, float[] x, float[] y,
                                    int rbFrom, int rbTo) {
        int gpr = cols / group, vec = cols - cols % L, tail = cols - vec, step = PACK_ROWS * L;
        for (int rb = rbFrom; rb < rbTo; rb++) {
            int base = rb * PACK_ROWS * cols, r = rb * PACK_ROWS, s0 = r * gpr;
            FloatVector t0 = FloatVector.zero(F), t1 = FloatVector.zero(F), t2 = FloatVector.zero(F), t3 = FloatVector.zero(F);
            for (int g = 0; g < gpr; g++) {
                int c = g * group, end = Math.min(vec, c + group);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                for (int o = base + c * PACK_ROWS; c < end; c += L, o += step) {
                    FloatVector xv = FloatVector.fromArray(F, x, c);
                    a0 = widen(p, o).fma(xv, a0);
                    a1 = widen(p, o + L).fma(xv, a1);
                    a2 = widen(p, o + 2 * L).fma(xv, a2);
                    a3 = widen(p, o + 3 * L).fma(xv, a3);
                }
                t0 = a0.fma(FloatVector.broadcast(F, scales[s0 + g]), t0);
                t1 = a1.fma(FloatVector.broadcast(F, scales[s0 + gpr + g]), t1);
                t2 = a2.fma(FloatVector.broadcast(F, scales[s0 + 2 * gpr + g]), t2);
                t3 = a3.fma(FloatVector.broadcast(F, scales[s0 + 3 * gpr + g]), t3);
            }
            // no array for the four sums: this runs once per four rows of every decoded token
            float u0 = t0.reduceLanes(VectorOperators.ADD), u1 = t1.reduceLanes(VectorOperators.ADD),
                    u2 = t2.reduceLanes(VectorOperators.ADD), u3 = t3.reduceLanes(VectorOperators.ADD);
            if (tail > 0) { // only when the group is the whole row
                u0 += tailDot(p, scales, cols, group, x, base, r, 0);
                u1 += tailDot(p, scales, cols, group, x, base, r, 1);
                u2 += tailDot(p, scales, cols, group, x, base, r, 2);
                u3 += tailDot(p, scales, cols, group, x, base, r, 3);
            }
            y[r] = u0;
            if (r + 1 < rows) y[r + 1] = u1;
            if (r + 2 < rows) y[r + 2] = u2;
            if (r + 3 < rows) y[r + 3] = u3;
        }
    }

    /** Row j of a packed row block over the columns past the last whole vector (whole-row groups only), scaled. */
    private static float tailDot(byte[] p, float[] scales, int cols, int group, float[] x, int base, int r, int j) {
        int gpr = cols / group, vec = cols - cols % L, tail = cols - vec;
        float u = 0;
        int o = base + PACK_ROWS * vec + j * tail;
        for (int t = 0; t < tail; t++) u += p[o + t] * x[vec + t];
        return u * scales[(r + j) * gpr + gpr - 1];
    }

    /** Row r of the packed layout dequantized into {@code dst[dstOff .. dstOff+cols)}. */
    private static void dequantizePackedRow(byte[] p, float[] scales, int cols, int group, int r, float[] dst, int dstOff) {
        int gpr = cols / group, vec = cols - cols % L, tail = cols - vec;
        int base = r / PACK_ROWS * PACK_ROWS * cols + r % PACK_ROWS * L;
        for (int g = 0; g < gpr; g++) { // groups outermost: no division per chunk
            FloatVector sc = FloatVector.broadcast(F, scales[r * gpr + g]);
            for (int c = g * group, end = Math.min(vec, c + group); c < end; c += L)
                widen(p, base + c * PACK_ROWS).mul(sc).intoArray(dst, dstOff + c);
        }
        float last = scales[r * gpr + gpr - 1];
        int t0 = r / PACK_ROWS * PACK_ROWS * cols + PACK_ROWS * vec + r % PACK_ROWS * tail;
        for (int t = 0; t < tail; t++) dst[dstOff + vec + t] = p[t0 + t] * last;
    }

    /**
     * Rows [r0, r0 + rows) × columns [k0, k0 + kc) dequantized and transposed into {@code panel[k·rows + j]}
     * ({@link DenseGemm.Panel}: many tokens share the float tiles of the float formats), codes row-major or in the
     * {@link #pack packed} layout ({@code k0} a multiple of the vector length there).
     */
    public static void dequantizePanel(byte[] q, boolean packed, float[] scales, int cols, int group, int r0, int rows,
                                       int k0, int kc, float[] panel) {
        int gpr = cols / group, vec = cols - cols % L, tail = cols - vec, end = k0 + kc;
        for (int j = 0; j < rows; j++) {
            int r = r0 + j, s0 = r * gpr;
            if (!packed) {
                for (int c = k0; c < end; c++) panel[(c - k0) * rows + j] = q[r * cols + c] * scales[s0 + c / group];
                continue;
            }
            int blockBase = r / PACK_ROWS * PACK_ROWS * cols, lane = r % PACK_ROWS;
            int c = k0;
            for (int vecEnd = Math.min(end, vec); c < vecEnd; c += L) { // a chunk never straddles groups (packable)
                float sc = scales[s0 + c / group];
                int o = blockBase + c * PACK_ROWS + lane * L, dst = (c - k0) * rows + j;
                for (int i = 0; i < L; i++, dst += rows) panel[dst] = q[o + i] * sc;
            }
            for (; c < end; c++) // the columns past the last whole chunk: whole-row groups only
                panel[(c - k0) * rows + j] = q[blockBase + PACK_ROWS * vec + lane * tail + (c - vec)] * scales[s0 + gpr - 1];
        }
    }

    /** Row r dequantized, in either layout: the embedding's lookup of a packed int8 table. */
    public static void dequantizeRow(byte[] q, boolean packed, float[] scales, int cols, int group, int r, float[] dst, int dstOff) {
        if (packed) dequantizePackedRow(q, scales, cols, group, r, dst, dstOff);
        else dequantizeRow(q, scales, cols, group, r, dst, dstOff);
    }

    /** One row against one token's x[xOff ..]; the rows a four-row pass leaves over. */
    private static float rowDot(byte[] q, float[] scales, int in, int group, int r, float[] x, int xOff) {
        int gpr = in / group, vecEnd = group - group % L, q0 = r * in;
        FloatVector t = FloatVector.zero(F);
        float tail = 0;
        for (int g = 0; g < gpr; g++) {
            int base = g * group;
            FloatVector a = FloatVector.zero(F);
            int k = 0;
            for (; k < vecEnd; k += L) a = widen(q, q0 + base + k).fma(FloatVector.fromArray(F, x, xOff + base + k), a);
            float sc = scales[r * gpr + g];
            t = a.fma(FloatVector.broadcast(F, sc), t);
            float u = 0;
            for (; k < group; k++) u += q[q0 + base + k] * x[xOff + base + k];
            tail += u * sc;
        }
        return t.reduceLanes(VectorOperators.ADD) + tail;
    }

    /** Row r dequantized into {@code dst[dstOff .. dstOff+in)}: the int8 codes times their group's scale. */
    private static void dequantizeRow(byte[] q, float[] scales, int in, int group, int r, float[] dst, int dstOff) {
        int gpr = in / group, vecEnd = group - group % L, q0 = r * in;
        for (int g = 0; g < gpr; g++) {
            int base = g * group;
            float sc = scales[r * gpr + g];
            int k = 0;
            for (; k < vecEnd; k += L) widen(q, q0 + base + k).mul(sc).intoArray(dst, dstOff + base + k);
            for (; k < group; k++) dst[dstOff + base + k] = q[q0 + base + k] * sc;
        }
    }

    /**
     * Several tokens, rows [rowFrom, rowTo): y[yOff + t*yStride + r] = Σ_k W[r][k]·x[xOff + t*xStride + k], codes
     * row-major or in the {@link #pack packed} layout. Two rows at a time are dequantized into a buffer of 2·in floats
     * (L1 for in ≤ 2048, L2 beyond) and used for every token of the tile.
     */
    public static void matMat(byte[] q, boolean packed, float[] scales, int in, int group, float[] x, int xOff, int xStride,
                              float[] y, int yOff, int yStride, int tokens, int rowFrom, int rowTo) {
        float[] w = new float[2 * in + L];
        int bound = in - in % L;
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            int t1 = Math.min(tokens, t0 + TOKEN_TILE);
            int r = rowFrom;
            for (; r + 2 <= rowTo; r += 2) {
                dequantizeRow(q, packed, scales, in, group, r, w, 0);
                dequantizeRow(q, packed, scales, in, group, r + 1, w, in);
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    int x0 = xOff + t * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
                    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F),
                            a3 = FloatVector.zero(F), b0 = FloatVector.zero(F), b1 = FloatVector.zero(F),
                            b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
                    int k = 0;
                    for (; k < bound; k += L) {
                        FloatVector w0 = FloatVector.fromArray(F, w, k), w1 = FloatVector.fromArray(F, w, in + k);
                        FloatVector v0 = FloatVector.fromArray(F, x, x0 + k), v1 = FloatVector.fromArray(F, x, x1 + k),
                                v2 = FloatVector.fromArray(F, x, x2 + k), v3 = FloatVector.fromArray(F, x, x3 + k);
                        a0 = w0.fma(v0, a0);
                        a1 = w0.fma(v1, a1);
                        a2 = w0.fma(v2, a2);
                        a3 = w0.fma(v3, a3);
                        b0 = w1.fma(v0, b0);
                        b1 = w1.fma(v1, b1);
                        b2 = w1.fma(v2, b2);
                        b3 = w1.fma(v3, b3);
                    }
                    float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                            s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
                    float u0 = b0.reduceLanes(VectorOperators.ADD), u1 = b1.reduceLanes(VectorOperators.ADD),
                            u2 = b2.reduceLanes(VectorOperators.ADD), u3 = b3.reduceLanes(VectorOperators.ADD);
                    for (; k < in; k++) {
                        float wa = w[k], wb = w[in + k];
                        s0 += wa * x[x0 + k];
                        s1 += wa * x[x1 + k];
                        s2 += wa * x[x2 + k];
                        s3 += wa * x[x3 + k];
                        u0 += wb * x[x0 + k];
                        u1 += wb * x[x1 + k];
                        u2 += wb * x[x2 + k];
                        u3 += wb * x[x3 + k];
                    }
                    int yo = yOff + t * yStride + r;
                    y[yo] = s0;
                    y[yo + yStride] = s1;
                    y[yo + 2 * yStride] = s2;
                    y[yo + 3 * yStride] = s3;
                    y[yo + 1] = u0;
                    y[yo + yStride + 1] = u1;
                    y[yo + 2 * yStride + 1] = u2;
                    y[yo + 3 * yStride + 1] = u3;
                }
                for (; t < t1; t++) {
                    int xo = xOff + t * xStride, yo = yOff + t * yStride + r;
                    y[yo] = floatDot(w, 0, x, xo, in);
                    y[yo + 1] = floatDot(w, in, x, xo, in);
                }
            }
            for (; r < rowTo; r++) {
                dequantizeRow(q, packed, scales, in, group, r, w, 0);
                for (int t = t0; t < t1; t++) y[yOff + t * yStride + r] = floatDot(w, 0, x, xOff + t * xStride, in);
            }
        }
    }

    private static float floatDot(float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = n - n % L, k = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; k < bound; k += L) acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < n; k++) s += a[aOff + k] * b[bOff + k];
        return s;
    }
}
