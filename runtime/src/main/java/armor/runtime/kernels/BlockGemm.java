package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 register-tiled matrix product, {@code out (=|+=) X · Y}, with the Vector API: the ARMOR optimizer's
 * small dense blocks (b×b with b ≤ 128 or so, which stay in L2), recovery training's large products in cache-sized
 * pieces ({@code armor.pruner.recover.Gemm}), and the runtime's many-token products of dense weights on panels
 * dequantized once ({@link DenseGemm}).
 * <p>
 * X is read through two strides, so the same kernel serves {@code X} and {@code Xᵀ}: element (i, k) of X is
 * {@code x[xo + i*xsi + k*xsk]}. Y and out are row-major with leading dimensions {@code ldy} and {@code ldo}.
 * The register tile is 8 rows × 2 vectors with 32 vector registers (AVX-512), 6 × 2 with 16 (AVX2), 4 × 2 on the
 * edges: per k, two vector loads of Y and one broadcast of X per row feed two FMAs per row.
 */
public final class BlockGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private BlockGemm() {}

    public static void gemm(int M, int N, int K,
                     float[] x, int xo, int xsi, int xsk,
                     float[] y, int yo, int ldy,
                     float[] out, int oo, int ldo, boolean accumulate) {
        int rows = WIDE ? 8 : 6;
        int mt = M - M % rows, n2 = N - N % (2 * L);
        if (mt > 0 && n2 > 0) {
            // j outer: the K×2L panel of Y stays in L1 while the row tiles go down X
            for (int j = 0; j < n2; j += 2 * L) {
                for (int i = 0; i < mt; i += rows) {
                    if (WIDE) tile8x2(i, j, K, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, accumulate);
                    else tile6x2(i, j, K, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, accumulate);
                }
            }
            if (n2 < N) gemmFrom(0, mt, n2, N, K, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, accumulate);
            if (mt < M) gemmFrom(mt, M, 0, N, K, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, accumulate);
            return;
        }
        gemmFrom(0, M, 0, N, K, x, xo, xsi, xsk, y, yo, ldy, out, oo, ldo, accumulate);
    }

    /** AVX2 has 16 vector registers: a 6×2 tile (12 accumulators, 2 loads, 1 broadcast) fits without spills. */
    private static void tile6x2(int i, int j, int K, float[] x, int xo, int xsi, int xsk, float[] y, int yo, int ldy,
                                float[] out, int oo, int ldo, boolean accumulate) {
        int x0 = xo + i * xsi;
        int o0 = oo + i * ldo + j;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, out, o0); c01 = FloatVector.fromArray(S, out, o0 + L);
            c10 = FloatVector.fromArray(S, out, o0 + ldo); c11 = FloatVector.fromArray(S, out, o0 + ldo + L);
            c20 = FloatVector.fromArray(S, out, o0 + 2 * ldo); c21 = FloatVector.fromArray(S, out, o0 + 2 * ldo + L);
            c30 = FloatVector.fromArray(S, out, o0 + 3 * ldo); c31 = FloatVector.fromArray(S, out, o0 + 3 * ldo + L);
            c40 = FloatVector.fromArray(S, out, o0 + 4 * ldo); c41 = FloatVector.fromArray(S, out, o0 + 4 * ldo + L);
            c50 = FloatVector.fromArray(S, out, o0 + 5 * ldo); c51 = FloatVector.fromArray(S, out, o0 + 5 * ldo + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        }
        int yk = yo + j;
        for (int k = 0, kx = x0; k < K; k++, kx += xsk, yk += ldy) {
            FloatVector y0 = FloatVector.fromArray(S, y, yk);
            FloatVector y1 = FloatVector.fromArray(S, y, yk + L);
            FloatVector a = FloatVector.broadcast(S, x[kx]);
            c00 = a.fma(y0, c00); c01 = a.fma(y1, c01);
            a = FloatVector.broadcast(S, x[kx + xsi]);
            c10 = a.fma(y0, c10); c11 = a.fma(y1, c11);
            a = FloatVector.broadcast(S, x[kx + 2 * xsi]);
            c20 = a.fma(y0, c20); c21 = a.fma(y1, c21);
            a = FloatVector.broadcast(S, x[kx + 3 * xsi]);
            c30 = a.fma(y0, c30); c31 = a.fma(y1, c31);
            a = FloatVector.broadcast(S, x[kx + 4 * xsi]);
            c40 = a.fma(y0, c40); c41 = a.fma(y1, c41);
            a = FloatVector.broadcast(S, x[kx + 5 * xsi]);
            c50 = a.fma(y0, c50); c51 = a.fma(y1, c51);
        }
        c00.intoArray(out, o0); c01.intoArray(out, o0 + L);
        c10.intoArray(out, o0 + ldo); c11.intoArray(out, o0 + ldo + L);
        c20.intoArray(out, o0 + 2 * ldo); c21.intoArray(out, o0 + 2 * ldo + L);
        c30.intoArray(out, o0 + 3 * ldo); c31.intoArray(out, o0 + 3 * ldo + L);
        c40.intoArray(out, o0 + 4 * ldo); c41.intoArray(out, o0 + 4 * ldo + L);
        c50.intoArray(out, o0 + 5 * ldo); c51.intoArray(out, o0 + 5 * ldo + L);
    }

    /** AVX-512 has 32 vector registers: an 8×2 tile (16 accumulators) halves the loads per FMA. */
    private static final boolean WIDE = S.vectorBitSize() >= 512;

    private static void tile8x2(int i, int j, int K, float[] x, int xo, int xsi, int xsk, float[] y, int yo, int ldy,
                                float[] out, int oo, int ldo, boolean accumulate) {
        int x0 = xo + i * xsi;
        int o0 = oo + i * ldo + j;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, out, o0); c01 = FloatVector.fromArray(S, out, o0 + L);
            c10 = FloatVector.fromArray(S, out, o0 + ldo); c11 = FloatVector.fromArray(S, out, o0 + ldo + L);
            c20 = FloatVector.fromArray(S, out, o0 + 2 * ldo); c21 = FloatVector.fromArray(S, out, o0 + 2 * ldo + L);
            c30 = FloatVector.fromArray(S, out, o0 + 3 * ldo); c31 = FloatVector.fromArray(S, out, o0 + 3 * ldo + L);
            c40 = FloatVector.fromArray(S, out, o0 + 4 * ldo); c41 = FloatVector.fromArray(S, out, o0 + 4 * ldo + L);
            c50 = FloatVector.fromArray(S, out, o0 + 5 * ldo); c51 = FloatVector.fromArray(S, out, o0 + 5 * ldo + L);
            c60 = FloatVector.fromArray(S, out, o0 + 6 * ldo); c61 = FloatVector.fromArray(S, out, o0 + 6 * ldo + L);
            c70 = FloatVector.fromArray(S, out, o0 + 7 * ldo); c71 = FloatVector.fromArray(S, out, o0 + 7 * ldo + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(S);
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = FloatVector.zero(S);
        }
        int yk = yo + j;
        for (int k = 0, kx = x0; k < K; k++, kx += xsk, yk += ldy) {
            FloatVector y0 = FloatVector.fromArray(S, y, yk);
            FloatVector y1 = FloatVector.fromArray(S, y, yk + L);
            FloatVector a = FloatVector.broadcast(S, x[kx]);
            c00 = a.fma(y0, c00); c01 = a.fma(y1, c01);
            a = FloatVector.broadcast(S, x[kx + xsi]);
            c10 = a.fma(y0, c10); c11 = a.fma(y1, c11);
            a = FloatVector.broadcast(S, x[kx + 2 * xsi]);
            c20 = a.fma(y0, c20); c21 = a.fma(y1, c21);
            a = FloatVector.broadcast(S, x[kx + 3 * xsi]);
            c30 = a.fma(y0, c30); c31 = a.fma(y1, c31);
            a = FloatVector.broadcast(S, x[kx + 4 * xsi]);
            c40 = a.fma(y0, c40); c41 = a.fma(y1, c41);
            a = FloatVector.broadcast(S, x[kx + 5 * xsi]);
            c50 = a.fma(y0, c50); c51 = a.fma(y1, c51);
            a = FloatVector.broadcast(S, x[kx + 6 * xsi]);
            c60 = a.fma(y0, c60); c61 = a.fma(y1, c61);
            a = FloatVector.broadcast(S, x[kx + 7 * xsi]);
            c70 = a.fma(y0, c70); c71 = a.fma(y1, c71);
        }
        c00.intoArray(out, o0); c01.intoArray(out, o0 + L);
        c10.intoArray(out, o0 + ldo); c11.intoArray(out, o0 + ldo + L);
        c20.intoArray(out, o0 + 2 * ldo); c21.intoArray(out, o0 + 2 * ldo + L);
        c30.intoArray(out, o0 + 3 * ldo); c31.intoArray(out, o0 + 3 * ldo + L);
        c40.intoArray(out, o0 + 4 * ldo); c41.intoArray(out, o0 + 4 * ldo + L);
        c50.intoArray(out, o0 + 5 * ldo); c51.intoArray(out, o0 + 5 * ldo + L);
        c60.intoArray(out, o0 + 6 * ldo); c61.intoArray(out, o0 + 6 * ldo + L);
        c70.intoArray(out, o0 + 7 * ldo); c71.intoArray(out, o0 + 7 * ldo + L);
    }

    /**
     * The general kernel on rows [i0, M) and columns [j0, N): 4×2-vector tiles, then narrower tails.
     */
    private static void gemmFrom(int i0, int M, int j0, int N, int K,
                                 float[] x, int xo, int xsi, int xsk,
                                 float[] y, int yo, int ldy,
                                 float[] out, int oo, int ldo, boolean accumulate) {
        int i = i0;
        for (; i + 4 <= M; i += 4) {
            int x0 = xo + i * xsi, x1 = x0 + xsi, x2 = x1 + xsi, x3 = x2 + xsi;
            int o0 = oo + i * ldo, o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
            int j = j0;
            for (; j + 2 * L <= N; j += 2 * L) {
                FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
                if (accumulate) {
                    c00 = FloatVector.fromArray(S, out, o0 + j); c01 = FloatVector.fromArray(S, out, o0 + j + L);
                    c10 = FloatVector.fromArray(S, out, o1 + j); c11 = FloatVector.fromArray(S, out, o1 + j + L);
                    c20 = FloatVector.fromArray(S, out, o2 + j); c21 = FloatVector.fromArray(S, out, o2 + j + L);
                    c30 = FloatVector.fromArray(S, out, o3 + j); c31 = FloatVector.fromArray(S, out, o3 + j + L);
                } else {
                    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(S);
                }
                int yk = yo + j;
                for (int k = 0, kx = 0; k < K; k++, kx += xsk, yk += ldy) {
                    FloatVector y0 = FloatVector.fromArray(S, y, yk);
                    FloatVector y1 = FloatVector.fromArray(S, y, yk + L);
                    FloatVector a = FloatVector.broadcast(S, x[x0 + kx]);
                    c00 = a.fma(y0, c00); c01 = a.fma(y1, c01);
                    a = FloatVector.broadcast(S, x[x1 + kx]);
                    c10 = a.fma(y0, c10); c11 = a.fma(y1, c11);
                    a = FloatVector.broadcast(S, x[x2 + kx]);
                    c20 = a.fma(y0, c20); c21 = a.fma(y1, c21);
                    a = FloatVector.broadcast(S, x[x3 + kx]);
                    c30 = a.fma(y0, c30); c31 = a.fma(y1, c31);
                }
                c00.intoArray(out, o0 + j); c01.intoArray(out, o0 + j + L);
                c10.intoArray(out, o1 + j); c11.intoArray(out, o1 + j + L);
                c20.intoArray(out, o2 + j); c21.intoArray(out, o2 + j + L);
                c30.intoArray(out, o3 + j); c31.intoArray(out, o3 + j + L);
            }
            for (; j + L <= N; j += L) {
                FloatVector c0, c1, c2, c3;
                if (accumulate) {
                    c0 = FloatVector.fromArray(S, out, o0 + j); c1 = FloatVector.fromArray(S, out, o1 + j);
                    c2 = FloatVector.fromArray(S, out, o2 + j); c3 = FloatVector.fromArray(S, out, o3 + j);
                } else {
                    c0 = c1 = c2 = c3 = FloatVector.zero(S);
                }
                int yk = yo + j;
                for (int k = 0, kx = 0; k < K; k++, kx += xsk, yk += ldy) {
                    FloatVector y0 = FloatVector.fromArray(S, y, yk);
                    c0 = FloatVector.broadcast(S, x[x0 + kx]).fma(y0, c0);
                    c1 = FloatVector.broadcast(S, x[x1 + kx]).fma(y0, c1);
                    c2 = FloatVector.broadcast(S, x[x2 + kx]).fma(y0, c2);
                    c3 = FloatVector.broadcast(S, x[x3 + kx]).fma(y0, c3);
                }
                c0.intoArray(out, o0 + j); c1.intoArray(out, o1 + j);
                c2.intoArray(out, o2 + j); c3.intoArray(out, o3 + j);
            }
            for (; j < N; j++) {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int k = 0, kx = 0, yk = yo + j; k < K; k++, kx += xsk, yk += ldy) {
                    float yv = y[yk];
                    s0 += x[x0 + kx] * yv; s1 += x[x1 + kx] * yv; s2 += x[x2 + kx] * yv; s3 += x[x3 + kx] * yv;
                }
                if (accumulate) {
                    out[o0 + j] += s0; out[o1 + j] += s1; out[o2 + j] += s2; out[o3 + j] += s3;
                } else {
                    out[o0 + j] = s0; out[o1 + j] = s1; out[o2 + j] = s2; out[o3 + j] = s3;
                }
            }
        }
        for (; i < M; i++) {
            int x0 = xo + i * xsi;
            int o0 = oo + i * ldo;
            int j = j0;
            for (; j + L <= N; j += L) {
                FloatVector c0 = accumulate ? FloatVector.fromArray(S, out, o0 + j) : FloatVector.zero(S);
                int yk = yo + j;
                for (int k = 0, kx = 0; k < K; k++, kx += xsk, yk += ldy) {
                    c0 = FloatVector.broadcast(S, x[x0 + kx]).fma(FloatVector.fromArray(S, y, yk), c0);
                }
                c0.intoArray(out, o0 + j);
            }
            for (; j < N; j++) {
                float s0 = 0;
                for (int k = 0, kx = 0, yk = yo + j; k < K; k++, kx += xsk, yk += ldy) s0 += x[x0 + kx] * y[yk];
                if (accumulate) out[o0 + j] += s0; else out[o0 + j] = s0;
            }
        }
    }
}
