package armor.pruner.recover;

import armor.runtime.kernels.BlockGemm;
import armor.runtime.kernels.Parallel;

/**
 * The large float32 products of recovery training, {@code out (=|+=) X · Y}, on {@link BlockGemm}'s register tiles.
 * X is read through two strides (so {@code Xᵀ} costs nothing), Y and out are row-major.
 *
 * <p>Rows of out are cut into fixed pieces that depend on the shape only, and K into fixed slices of {@link #KC}:
 * every output element is summed in the same order whatever the thread count, so training is bit-for-bit
 * deterministic. The K slices keep the panel of Y that a register tile streams (KC × 2 vectors) in L1 even when K is
 * the vocabulary.
 */
final class Gemm {
    /** K per slice: a 256 × 32-float panel of Y is 32 KiB. */
    static final int KC = 256;

    private Gemm() {}

    /**
     * {@code out[M×N] (=|+=) X[M×K] · Y[K×N]}: element (i, k) of X is {@code x[xo + i*xsi + k*xsk]}, Y row-major
     * with leading dimension {@code ldy}, out with {@code ldo}.
     */
    static void multiply(int M, int N, int K, float[] x, int xo, int xsi, int xsk, float[] y, int yo, int ldy,
                         float[] out, int oo, int ldo, boolean accumulate) {
        // 48 rows a piece: a whole number of 6-row (AVX2) and 8-row (AVX-512) tiles; 96 when there are many rows.
        int piece = M >= 1024 ? 96 : 48;
        int pieces = (M + piece - 1) / piece;
        Parallel.forRange(pieces, 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                int i0 = p * piece, rows = Math.min(piece, M - i0);
                for (int k0 = 0; k0 < K; k0 += KC) {
                    int kc = Math.min(KC, K - k0);
                    BlockGemm.gemm(rows, N, kc, x, xo + i0 * xsi + k0 * xsk, xsi, xsk, y, yo + k0 * ldy, ldy,
                            out, oo + i0 * ldo, ldo, accumulate || k0 > 0);
                }
            }
        });
        if (K == 0 && !accumulate) {
            for (int i = 0; i < M; i++) java.util.Arrays.fill(out, oo + i * ldo, oo + i * ldo + N, 0f);
        }
    }

    /** {@code y[rows×out] = x[rows×in] · Wᵀ}, given {@code wt = Wᵀ} ({@code in × out}, row-major). */
    static void forward(float[] x, float[] wt, float[] y, int rows, int in, int out) {
        multiply(rows, out, in, x, 0, in, 1, wt, 0, out, y, 0, out, false);
    }

    /** {@code dx[rows×in] (=|+=) dy[rows×out] · W} ({@code W} is {@code out × in}, row-major). */
    static void inputGradient(float[] dy, float[] w, float[] dx, int rows, int in, int out, boolean accumulate) {
        multiply(rows, in, out, dy, 0, out, 1, w, 0, in, dx, 0, in, accumulate);
    }

    /** {@code dw[out×in] += dyᵀ · x}: the weight gradient summed over the rows. */
    static void weightGradient(float[] dy, float[] x, float[] dw, int rows, int in, int out) {
        multiply(out, in, rows, dy, 0, 1, out, x, 0, in, dw, 0, in, true);
    }

    /** {@code t = mᵀ} for a row-major {@code rows × cols} matrix. */
    static void transpose(float[] m, float[] t, int rows, int cols) {
        final int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int r1 = Math.min(rows, r0 + tile), c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) t[c * rows + r] = m[r * cols + c];
            }
        }
    }
}
