package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched small dense kernels for a block-diagonal matrix stored as {@code (blocks, b, b)} row-major blocks:
 * {@code y_t[kb + i] = Σ_j M_k[i, j] · x_t[kb + j]} for one block k and a run of tokens. Each block row is widened
 * once in registers and used for four tokens at a time, so the b×b block (32 KiB at b = 128, bf16) is read from
 * cache, not memory, for every token after the first.
 */
public final class BlockDiagonalKernels {
    private static final VectorSpecies<Float> F = Sparse24Kernels.F;

    private BlockDiagonalKernels() {}

    /** 16-bit blocks (bf16, or IEEE f16 when {@code f16}). Token t reads x[xOff + t*xStride + ...], writes y likewise. */
    public static void apply16(short[] w, boolean f16, int b, int k, float[] x, int xOff, int xStride,
                               float[] y, int yOff, int yStride, int tokens) {
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7;
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int x0 = xOff + t * xStride + kb, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            for (int i = 0; i < b; i++) {
                int wr = wk + i * b;
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                int j = 0;
                for (; j < vecEnd; j += 8) {
                    FloatVector wv = f16 ? Sparse24Kernels.f16x8(w, wr + j) : Sparse24Kernels.bf16x8(w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                }
                float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
                float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
                for (; j < b; j++) {
                    float wv = f16 ? HalfFloat.f16ToFloat(w[wr + j]) : HalfFloat.bf16ToFloat(w[wr + j]);
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
                    FloatVector wv = f16 ? Sparse24Kernels.f16x8(w, wr + j) : Sparse24Kernels.bf16x8(w, wr + j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                }
                float s0 = a0.reduceLanes(VectorOperators.ADD);
                for (; j < b; j++) s0 += (f16 ? HalfFloat.f16ToFloat(w[wr + j]) : HalfFloat.bf16ToFloat(w[wr + j])) * x[x0 + j];
                y[yOff + t * yStride + kb + i] = s0;
            }
        }
    }

    /** As {@link #apply16} for float32 blocks. */
    public static void applyF32(float[] w, int b, int k, float[] x, int xOff, int xStride,
                                float[] y, int yOff, int yStride, int tokens) {
        int wk = k * b * b, kb = k * b, vecEnd = b & ~7;
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
                float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
                float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
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
                float s0 = a0.reduceLanes(VectorOperators.ADD);
                for (; j < b; j++) s0 += w[wr + j] * x[x0 + j];
                y[yOff + t * yStride + kb + i] = s0;
            }
        }
    }
}
