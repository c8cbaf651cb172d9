package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched small dense kernels for a block-diagonal matrix stored as {@code (blocks, b, b)} row-major blocks:
 * {@code y_t[kb + i] = Σ_j M_k[i, j] · x_t[kb + j]} for one block k and a run of tokens. Each block row is widened
 * once in registers and used for four tokens at a time, so the b×b block (32 KiB at b = 128, bf16) is read from
 * cache, not memory, for every token after the first. From {@link #GEMM_TOKENS} tokens (prefill, ARMOR's A' and B'
 * of a long prompt) the block is widened once, transposed, into {@link BlockGemm}'s register tiles instead.
 */
public final class BlockDiagonalKernels {
    private static final VectorSpecies<Float> F = Sparse24Kernels.F;

    private BlockDiagonalKernels() {}

    /**
     * Tokens from which the several-token kernels widen the block once, transposed, and run {@link BlockGemm}'s
     * register tiles over it (tokens × rows of the block, x read in place): the four-token kernel keeps four FMA chains
     * and sums each row's lanes per pass, about half the tiles' rate, while the transposing widening (b² scalar
     * steps a block) is paid back only over many tokens.
     */
    public static final int GEMM_TOKENS = 32;

    /**
     * Several tokens, int8 blocks ({@code q} row-major over all blocks' rows, one scale per row): {@link
     * DenseInt8MatMul#matMat} on the block's rows, or from {@link #GEMM_TOKENS} tokens the block dequantized once into
     * its float32 transpose for {@link BlockGemm}.
     */
    public static void matMatInt8(byte[] q, float[] scales, int b, int k, float[] x, int xOff, int xStride,
                                  float[] y, int yOff, int yStride, int tokens) {
        if (tokens < GEMM_TOKENS) {
            int kb = k * b;
            DenseInt8MatMul.matMat(q, false, scales, b, b, x, xOff + kb, xStride, y, yOff, yStride, tokens, kb, kb + b);
            return;
        }
        float[] wt = new float[b * b];
        for (int i = 0, r = k * b; i < b; i++, r++) {
            float scale = scales[r];
            for (int j = 0; j < b; j++) wt[j * b + i] = q[r * b + j] * scale;
        }
        gemm(wt, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
    }

    /** Block k of 16-bit blocks widened to its float32 transpose, {@code wt[j·b + i] = M_k[i, j]}. */
    private static float[] transposed(short[] w, int b, int k, HalfFloat.Widen type) {
        float[] wt = new float[b * b];
        for (int i = 0, wr = k * b * b; i < b; i++, wr += b)
            for (int j = 0; j < b; j++) wt[j * b + i] = type.widen(w[wr + j]);
        return wt;
    }

    /** Block k for {@code tokens} tokens, from its float32 transpose {@code wt[j·b + i] = M_k[i, j]}. */
    private static void gemm(float[] wt, int b, int k, float[] x, int xOff, int xStride, float[] y, int yOff, int yStride,
                             int tokens) {
        int kb = k * b;
        BlockGemm.gemm(tokens, b, b, x, xOff + kb, xStride, 1, wt, 0, b, y, yOff + kb, yStride, false);
    }

    /**
     * One token, bf16 blocks: y[yOff + kb + i] = Σ_j M_k[i, j] · x[xOff + kb + j]. Four rows per pass share each x
     * vector and give four independent FMA chains (one row alone waits on its single accumulator's FMA latency).
     */
    public static void matVecBf16(short[] w, int b, int k, float[] x, int xOff, float[] y, int yOff) {
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7, x0 = xOff + kb;
        int i = 0;
        for (; i + 4 <= b; i += 4) {
            int w0 = wk + i * b, w1 = w0 + b, w2 = w1 + b, w3 = w2 + b;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int j = 0;
            for (; j < vecEnd; j += 8) {
                FloatVector xv = FloatVector.fromArray(F, x, x0 + j);
                a0 = Sparse24Kernels.bf16x8(w, w0 + j).fma(xv, a0);
                a1 = Sparse24Kernels.bf16x8(w, w1 + j).fma(xv, a1);
                a2 = Sparse24Kernels.bf16x8(w, w2 + j).fma(xv, a2);
                a3 = Sparse24Kernels.bf16x8(w, w3 + j).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; j < b; j++) {
                float xj = x[x0 + j];
                s0 += HalfFloat.bf16ToFloat(w[w0 + j]) * xj;
                s1 += HalfFloat.bf16ToFloat(w[w1 + j]) * xj;
                s2 += HalfFloat.bf16ToFloat(w[w2 + j]) * xj;
                s3 += HalfFloat.bf16ToFloat(w[w3 + j]) * xj;
            }
            int yi = yOff + kb + i;
            y[yi] = s0;
            y[yi + 1] = s1;
            y[yi + 2] = s2;
            y[yi + 3] = s3;
        }
        for (; i < b; i++) {
            int wr = wk + i * b;
            FloatVector a0 = FloatVector.zero(F);
            int j = 0;
            for (; j < vecEnd; j += 8) a0 = Sparse24Kernels.bf16x8(w, wr + j).fma(FloatVector.fromArray(F, x, x0 + j), a0);
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            for (; j < b; j++) s0 += HalfFloat.bf16ToFloat(w[wr + j]) * x[x0 + j];
            y[yOff + kb + i] = s0;
        }
    }

    /**
     * Several tokens, bf16 blocks: token t reads x[xOff + t*xStride + ...] and writes y likewise. Each block row is
     * widened once in registers and used for four tokens; leftover tokens take {@link #matVecBf16}.
     */
    public static void matMatBf16(short[] w, int b, int k, float[] x, int xOff, int xStride,
                                  float[] y, int yOff, int yStride, int tokens) {
        if (tokens >= GEMM_TOKENS) {
            gemm(transposed(w, b, k, HalfFloat::bf16ToFloat), b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            return;
        }
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7;
        float[] acc = new float[32]; // lanes of the accumulators, summed as arrays (Lanes.sum(float[], ...))
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int x0 = xOff + t * xStride + kb, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) {
                    FloatVector wv = Sparse24Kernels.bf16x8(w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                }
                a0.intoArray(acc, 0);
                a1.intoArray(acc, 8);
                a2.intoArray(acc, 16);
                a3.intoArray(acc, 24);
                float s0 = Lanes.sum(acc, 0, 8), s1 = Lanes.sum(acc, 8, 8), s2 = Lanes.sum(acc, 16, 8), s3 = Lanes.sum(acc, 24, 8);
                for (; j < b; j++) {
                    float wv = HalfFloat.bf16ToFloat(w[wr + j]);
                    s0 += wv * x[x0 + j];
                    s1 += wv * x[x1 + j];
                    s2 += wv * x[x2 + j];
                    s3 += wv * x[x3 + j];
                }
                int yi = yOff + t * yStride + kb + i;
                y[yi] = s0;
                y[yi + yStride] = s1;
                y[yi + 2 * yStride] = s2;
                y[yi + 3 * yStride] = s3;
            }
        }
        for (; t < tokens; t++) matVecBf16(w, b, k, x, xOff + t * xStride, y, yOff + t * yStride);
    }

    /**
     * IEEE f16 blocks, any number of tokens (as {@link #matMatBf16}). Kept apart from the bf16 kernels: with both
     * conversions in one method C2 ran out of its inlining budget and fell back to boxed vectors (measured 2× slower).
     */
    public static void applyF16(short[] w, int b, int k, float[] x, int xOff, int xStride,
                                float[] y, int yOff, int yStride, int tokens) {
        if (tokens >= GEMM_TOKENS) {
            gemm(transposed(w, b, k, HalfFloat::f16ToFloat), b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            return;
        }
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7;
        float[] acc = new float[32]; // lanes of the accumulators, summed as arrays (Lanes.sum(float[], ...))
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int x0 = xOff + t * xStride + kb, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) {
                    FloatVector wv = Sparse24Kernels.f16x8(w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                }
                a0.intoArray(acc, 0);
                a1.intoArray(acc, 8);
                a2.intoArray(acc, 16);
                a3.intoArray(acc, 24);
                float s0 = Lanes.sum(acc, 0, 8), s1 = Lanes.sum(acc, 8, 8), s2 = Lanes.sum(acc, 16, 8), s3 = Lanes.sum(acc, 24, 8);
                for (; j < b; j++) {
                    float wv = HalfFloat.f16ToFloat(w[wr + j]);
                    s0 += wv * x[x0 + j];
                    s1 += wv * x[x1 + j];
                    s2 += wv * x[x2 + j];
                    s3 += wv * x[x3 + j];
                }
                int yi = yOff + t * yStride + kb + i;
                y[yi] = s0;
                y[yi + yStride] = s1;
                y[yi + 2 * yStride] = s2;
                y[yi + 3 * yStride] = s3;
            }
        }
        for (; t < tokens; t++) {
            int x0 = xOff + t * xStride + kb;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) {
                    FloatVector wv = Sparse24Kernels.f16x8(w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                }
                a0.intoArray(acc, 0);
                float s0 = Lanes.sum(acc, 0, 8);
                for (; j < b; j++) s0 += HalfFloat.f16ToFloat(w[wr + j]) * x[x0 + j];
                y[yOff + t * yStride + kb + i] = s0;
            }
        }
    }

    /** As {@link #applyF16} for float32 blocks. */
    public static void applyF32(float[] w, int b, int k, float[] x, int xOff, int xStride,
                                float[] y, int yOff, int yStride, int tokens) {
        if (tokens >= GEMM_TOKENS) {
            float[] wt = new float[b * b];
            for (int i = 0, wr = k * b * b; i < b; i++, wr += b)
                for (int j = 0; j < b; j++) wt[j * b + i] = w[wr + j];
            gemm(wt, b, k, x, xOff, xStride, y, yOff, yStride, tokens);
            return;
        }
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7;
        float[] acc = new float[32]; // lanes of the accumulators, summed as arrays (Lanes.sum(float[], ...))
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int x0 = xOff + t * xStride + kb, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) {
                    FloatVector wv = FloatVector.fromArray(F, w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                }
                a0.intoArray(acc, 0);
                a1.intoArray(acc, 8);
                a2.intoArray(acc, 16);
                a3.intoArray(acc, 24);
                float s0 = Lanes.sum(acc, 0, 8), s1 = Lanes.sum(acc, 8, 8), s2 = Lanes.sum(acc, 16, 8), s3 = Lanes.sum(acc, 24, 8);
                for (; j < b; j++) {
                    float wv = w[wr + j];
                    s0 += wv * x[x0 + j];
                    s1 += wv * x[x1 + j];
                    s2 += wv * x[x2 + j];
                    s3 += wv * x[x3 + j];
                }
                int yi = yOff + t * yStride + kb + i;
                y[yi] = s0;
                y[yi + yStride] = s1;
                y[yi + 2 * yStride] = s2;
                y[yi + 3 * yStride] = s3;
            }
        }
        for (; t < tokens; t++) {
            int x0 = xOff + t * xStride + kb;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) a0 = FloatVector.fromArray(F, w, wr + j).fma(FloatVector.fromArray(F, x, x0 + j), a0);
                a0.intoArray(acc, 0);
                float s0 = Lanes.sum(acc, 0, 8);
                for (; j < b; j++) s0 += w[wr + j] * x[x0 + j];
                y[yOff + t * yStride + kb + i] = s0;
            }
        }
    }
}
