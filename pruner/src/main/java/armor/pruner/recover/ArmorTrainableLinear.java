package armor.pruner.recover;

import armor.runtime.kernels.BlockGemm;
import armor.runtime.linear.Sparse24Linear;

import armor.runtime.kernels.Parallel;

import java.util.List;

/**
 * An ARMOR projection in training: {@code y = A'·((C ⊙ M)·(B'·x)) + bias} with block-diagonal A' ({@code out/ba}
 * blocks of {@code ba × ba}) and B' ({@code in/bb} blocks), the 2:4 mask M fixed. A', B' and the kept values of C are
 * trained; the bias is kept.
 *
 * <p>Gradients, with {@code u = B'x}, {@code z = Cu}: {@code dA'_k = dy_kᵀ z_k}, {@code dz = A'ᵀ dy},
 * {@code dC = (dzᵀ u) ⊙ M}, {@code du = Cᵀ dz}, {@code dB'_k = du_kᵀ x_k}, {@code dx = B'ᵀ du} (per block k).
 */
final class ArmorTrainableLinear implements TrainableLinear {
    private final int in, out, ba, bb;
    private final Parameter a, core, b;
    private final float[] at, coreT, bt;
    private final float[] bias;
    private float[] input, u, z;

    ArmorTrainableLinear(String name, float[] aBlocks, int ba, float[] c, float[] mask, float[] bBlocks, int bb,
                         float[] bias, int in, int out) {
        this.in = in;
        this.out = out;
        this.ba = ba;
        this.bb = bb;
        this.a = Parameter.of(name + ".armor_a", aBlocks, null);
        this.core = Parameter.of(name + ".core", c, mask);
        this.b = Parameter.of(name + ".armor_b", bBlocks, null);
        this.at = new float[aBlocks.length];
        this.coreT = new float[c.length];
        this.bt = new float[bBlocks.length];
        this.bias = bias;
        refresh();
    }

    float[] aBlocks() {
        return a.value();
    }

    float[] bBlocks() {
        return b.value();
    }

    float[] core() {
        return core.value();
    }

    float[] mask() {
        return core.mask();
    }

    int blockOut() {
        return ba;
    }

    int blockIn() {
        return bb;
    }

    float[] bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void forward(float[] x, float[] y, int rows) {
        input = x;
        if (u == null || u.length < rows * in) u = new float[rows * in];
        if (z == null || z.length < rows * out) z = new float[rows * out];
        applyBlocks(bt, bb, in, x, u, rows);
        Gemm.forward(u, coreT, z, rows, in, out);
        applyBlocks(at, ba, out, z, y, rows);
        if (bias != null) Sparse24Linear.addBias(y, bias, rows);
    }

    @Override
    public void backward(float[] dy, float[] dx, int rows, boolean accumulateDx) {
        blockGradient(dy, z, a.grad(), ba, out, rows);
        float[] dz = new float[rows * out];
        applyBlocks(a.value(), ba, out, dy, dz, rows); // A' stored row-major is (A'ᵀ)ᵀ: this multiplies by A'ᵀ
        Gemm.weightGradient(dz, u, core.grad(), rows, in, out);
        float[] du = new float[rows * in];
        Gemm.inputGradient(dz, core.value(), du, rows, in, out, false);
        blockGradient(du, input, b.grad(), bb, in, rows);
        if (accumulateDx) {
            float[] t = new float[rows * in];
            applyBlocks(b.value(), bb, in, du, t, rows);
            for (int i = 0; i < rows * in; i++) dx[i] += t[i];
        } else {
            applyBlocks(b.value(), bb, in, du, dx, rows);
        }
    }

    /**
     * {@code y[:, k·bs + i] = Σ_p G_k[p][i] x[:, k·bs + p]} for every block k, i.e. {@code y_k = x_k · G_k}: with
     * {@code G = Mᵀ} (the transposed blocks) this applies M, with {@code G = M} it applies {@code Mᵀ}.
     */
    private static void applyBlocks(float[] g, int bs, int dim, float[] x, float[] y, int rows) {
        Parallel.forRange(dim / bs, 1, (from, to) -> {
            for (int k = from; k < to; k++) {
                BlockGemm.gemm(rows, bs, bs, x, k * bs, dim, 1, g, k * bs * bs, bs,
                        y, k * bs, dim, false);
            }
        });
    }

    /** {@code dG_k[i][p] += Σ_t d[t, k·bs + i] · x[t, k·bs + p]}. */
    private static void blockGradient(float[] d, float[] x, float[] dg, int bs, int dim, int rows) {
        Parallel.forRange(dim / bs, 1, (from, to) -> {
            for (int k = from; k < to; k++) {
                for (int t0 = 0; t0 < rows; t0 += Gemm.KC) {
                    int tc = Math.min(Gemm.KC, rows - t0);
                    BlockGemm.gemm(bs, bs, tc, d, t0 * dim + k * bs, 1, dim, x, t0 * dim + k * bs,
                            dim, dg, k * bs * bs, bs, true);
                }
            }
        });
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(a, core, b);
    }

    @Override
    public void refresh() {
        for (int k = 0; k < out / ba; k++) transposeBlock(a.value(), at, k * ba * ba, ba);
        for (int k = 0; k < in / bb; k++) transposeBlock(b.value(), bt, k * bb * bb, bb);
        Gemm.transpose(core.value(), coreT, out, in);
    }

    private static void transposeBlock(float[] m, float[] t, int off, int bs) {
        for (int i = 0; i < bs; i++) for (int j = 0; j < bs; j++) t[off + j * bs + i] = m[off + i * bs + j];
    }
}
