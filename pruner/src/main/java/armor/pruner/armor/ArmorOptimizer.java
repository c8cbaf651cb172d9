package armor.pruner.armor;

import armor.runtime.kernels.BlockGemm;
import armor.pruner.method.NoWagP;
import armor.pruner.nowag.NoWagNormalization;
import armor.pruner.nowag.ProxyLoss;
import armor.pruner.sparsity.Mask24;
import armor.runtime.kernels.Lanes;
import armor.runtime.kernels.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ARMOR for one matrix: {@code W̄ ≈ A · (W' ⊙ M) · B} with block-diagonal A (blocks bOut×bOut) and B (blocks
 * bIn×bIn), found by block coordinate descent on NoWag's proxy loss: per iteration one Adam step on A, B and the
 * full W' with the closed-form gradients, then one exact 2:4 re-selection of one sampled group in every block.
 * <p>
 * Everything of one iteration happens in a single pass over the (I, K) blocks, each of which stays in cache:
 * <ol>
 *   <li>Adam on the block of W' (A and B were stepped before the pass);</li>
 *   <li>forward: {@code CB = C·B_K}, {@code E = A_I·CB − W̄}, {@code G = 2κ E diag(h)};</li>
 *   <li>selection gradient at the post-Adam point: {@code T = A_Iᵀ G}, {@code ∂L/∂C = T B_Kᵀ};</li>
 *   <li>discrete step on the sampled group with the cheap {@code R̃ᵀa} form, then rank-1 updates of CB, E, G, T
 *       and ∂L/∂C, so that they hold the post-step values without another product;</li>
 *   <li>the post-step loss (the early-stopping check) and the gradients for the next Adam step:
 *       {@code ∂L/∂W' = ∂L/∂C ⊙ M}, {@code ∂L/∂A_I += G CBᵀ}, {@code ∂L/∂B_K += Cᵀ T}.</li>
 * </ol>
 * That is six b³ block products per block and iteration. Blocks do not interact in the discrete step, and the row
 * blocks are cut into a fixed number of parts ({@value #PARTS}) that the threads share; ∂L/∂B and the loss are
 * summed from per-part partials in part order, and lane sums go through {@link Lanes#sum}, so a result is the
 * same bytes whatever the thread count or the JIT's timing (not across vector widths: AVX2 and AVX-512 sum
 * different lanes).
 */
public final class ArmorOptimizer {
    private static final double BETA1 = 0.9, BETA2 = 0.999, ADAM_EPS = 1e-8;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Parts the row blocks are cut into (at most): up to this many threads can share one matrix. */
    static final int PARTS = 8;
    /** Per 2:4 pattern, the four mask values of its group (1 kept, 0 pruned). */
    private static final float[][] KEEP = new float[6][4];

    static {
        for (int p = 0; p < 6; p++) for (int t = 0; t < 4; t++) KEEP[p][t] = (Mask24.keptBits(p) & (1 << t)) != 0 ? 1f : 0f;
    }

    private final int m, n, bOut, bIn, nbOut, nbIn;
    private final NoWagNormalization norm;
    private final float[] wbar;
    private final float[] h;
    private final float[] sqrtH;
    private final float[] gScale; // 2κ h_j: E → ∂L/∂Ŵ̄
    private final double kappa;
    private final ArmorSettings settings;

    private final Mask24 mask;
    private final float[] core; // W', full m×n
    private final float[] a;    // nbOut blocks of bOut×bOut, row-major
    private final float[] b;    // nbIn blocks of bIn×bIn
    private final float[] bT;   // B blocks transposed, refreshed every pass
    private final float[] gCore, gA, gB;
    private final float[] mCore, vCore, mA, vA, mB, vB;
    private final Workspace[] workspaces;
    private GroupSelection selection;

    private int adamSteps;
    private final double initialLoss;
    private double loss;

    public ArmorOptimizer(float[] weight, int rows, int cols, float[] h, ArmorSettings settings) {
        if (cols % 4 != 0) {
            throw new IllegalArgumentException("2:4 needs d_in divisible by 4, got a " + rows + "×" + cols
                    + " weight");
        }
        if (h.length != cols) {
            throw new IllegalArgumentException("activation statistic has " + h.length + " entries, expected " + cols);
        }
        this.m = rows;
        this.n = cols;
        this.settings = settings;
        this.bOut = BlockRule.blockFor(rows, settings.block());
        this.bIn = BlockRule.blockFor(cols, settings.block());
        if (bIn % 4 != 0) throw new IllegalArgumentException("column block " + bIn + " is not a multiple of 4");
        this.nbOut = rows / bOut;
        this.nbIn = cols / bIn;
        this.norm = NoWagNormalization.of(weight, rows, cols);
        this.h = ProxyLoss.sanitize(h);
        this.wbar = norm.normalized();
        this.kappa = new ProxyLoss(norm, this.h).kappa();
        this.sqrtH = new float[n];
        this.gScale = new float[n];
        for (int j = 0; j < n; j++) {
            sqrtH[j] = (float) Math.sqrt(this.h[j]);
            gScale[j] = (float) (2 * kappa * this.h[j]);
        }
        this.mask = NoWagP.mask(norm, this.h);
        this.core = wbar.clone();
        mask.apply(core);
        this.a = identityBlocks(nbOut, bOut);
        this.b = identityBlocks(nbIn, bIn);
        this.bT = new float[b.length];
        this.gCore = new float[m * n];
        this.gA = new float[a.length];
        this.gB = new float[b.length];
        this.mCore = new float[m * n];
        this.vCore = new float[m * n];
        this.mA = new float[a.length];
        this.vA = new float[a.length];
        this.mB = new float[b.length];
        this.vB = new float[b.length];
        // a fixed partition of the row blocks, whatever the thread count: ∂L/∂B and the loss are summed over the
        // parts in part order, so the result is the same bytes on 1 thread or 16 (threads only change the speed)
        int chunks = Math.max(1, Math.min(PARTS, nbOut));
        this.workspaces = new Workspace[chunks];
        for (int c = 0; c < chunks; c++) workspaces[c] = new Workspace(bOut, bIn, nbIn);
        this.selection = GroupSelection.sampled(settings.seed());
        pass(false, false);
        this.initialLoss = loss;
    }

    private static float[] identityBlocks(int count, int size) {
        float[] x = new float[count * size * size];
        for (int k = 0; k < count; k++) for (int i = 0; i < size; i++) x[k * size * size + i * size + i] = 1f;
        return x;
    }

    /** Progress callback: called after every iteration with the post-step proxy loss. */
    @FunctionalInterface
    public interface Listener {
        void onIteration(int iteration, double loss);
    }

    /** Runs up to the iteration budget or until early stopping fires; returns the iterations run. */
    public int run(Listener listener) {
        EarlyStopping stop = new EarlyStopping(settings.patience(), settings.rtol(), settings.atol(), initialLoss);
        for (int it = 1; it <= settings.iterations(); it++) {
            step();
            if (listener != null) listener.onIteration(it, loss);
            if (stop.update(loss)) return it;
        }
        return settings.iterations();
    }

    /** One iteration: Adam on A, B and W', then the discrete step. Returns the loss after it. */
    public double step() {
        adamSteps++;
        double bc1 = 1 - Math.pow(BETA1, adamSteps), bc2 = 1 - Math.pow(BETA2, adamSteps);
        adam(a, mA, vA, gA, 0, a.length, bc1, bc2);
        adam(b, mB, vB, gB, 0, b.length, bc1, bc2);
        pass(true, true);
        return loss;
    }

    private void adam(float[] p, float[] mo, float[] ve, float[] g, int from, int to, double bc1, double bc2) {
        float b1 = (float) BETA1, b2 = (float) BETA2, eps = (float) ADAM_EPS;
        float stepSize = (float) (settings.lr() / bc1);
        float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, mo, i).mul(b1).add(gi.mul(1 - b1));
            FloatVector vi = FloatVector.fromArray(S, ve, i).mul(b2).add(gi.mul(gi).mul(1 - b2));
            mi.intoArray(mo, i);
            vi.intoArray(ve, i);
            FloatVector denom = vi.lanewise(VectorOperators.SQRT).mul(invSqrtBc2).add(eps);
            FloatVector.fromArray(S, p, i).sub(mi.mul(stepSize).div(denom)).intoArray(p, i);
        }
        for (; i < to; i++) {
            float gi = g[i];
            float mi = b1 * mo[i] + (1 - b1) * gi;
            float vi = b2 * ve[i] + (1 - b2) * gi * gi;
            mo[i] = mi;
            ve[i] = vi;
            p[i] -= stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
        }
    }

    /**
     * One pass over all blocks. Without {@code adamCore} and {@code discrete} it only evaluates the loss and the
     * gradients at the current point.
     */
    void pass(boolean adamCore, boolean discrete) {
        for (int k = 0; k < nbIn; k++) {
            int o = k * bIn * bIn;
            for (int i = 0; i < bIn; i++) for (int j = 0; j < bIn; j++) bT[o + j * bIn + i] = b[o + i * bIn + j];
        }
        int chunks = workspaces.length;
        double bc1 = 1 - Math.pow(BETA1, adamSteps), bc2 = 1 - Math.pow(BETA2, adamSteps);
        if (chunks == 1 || settings.threads() == 1) {
            for (int c = 0; c < chunks; c++) runChunk(c, adamCore, discrete, bc1, bc2);
        } else {
            Parallel.forRange(chunks, 1, (from, to) -> {
                for (int c = from; c < to; c++) runChunk(c, adamCore, discrete, bc1, bc2);
            });
        }
        double total = 0;
        System.arraycopy(workspaces[0].gB, 0, gB, 0, gB.length);
        total += workspaces[0].loss;
        for (int c = 1; c < chunks; c++) {
            float[] part = workspaces[c].gB;
            for (int i = 0; i < gB.length; i++) gB[i] += part[i];
            total += workspaces[c].loss;
        }
        loss = total;
    }

    private void runChunk(int chunk, boolean adamCore, boolean discrete, double bc1, double bc2) {
        Workspace ws = workspaces[chunk];
        int chunks = workspaces.length;
        int from = (int) ((long) nbOut * chunk / chunks), to = (int) ((long) nbOut * (chunk + 1) / chunks);
        Arrays.fill(ws.gB, 0f);
        ws.loss = 0;
        for (int bi = from; bi < to; bi++) {
            Arrays.fill(gA, bi * bOut * bOut, (bi + 1) * bOut * bOut, 0f);
            for (int bk = 0; bk < nbIn; bk++) block(ws, bi, bk, adamCore, discrete, bc1, bc2);
        }
    }

    private void block(Workspace ws, int bi, int bk, boolean adamCore, boolean discrete, double bc1, double bc2) {
        final int row0 = bi * bOut, col0 = bk * bIn;
        final int aOff = bi * bOut * bOut, bOff = bk * bIn * bIn;
        final float[] C = ws.c, CB = ws.cb, E = ws.e, G = ws.g, T = ws.t, GC = ws.gc;
        final int g4 = bIn / 4;

        // 1. Adam on this block of W' (PyTorch semantics, state over the full W'), then C = W' ⊙ M
        if (adamCore) {
            for (int r = 0; r < bOut; r++) {
                int go = (row0 + r) * n + col0;
                adam(core, mCore, vCore, gCore, go, go + bIn, bc1, bc2);
            }
        }
        final float[] keep = ws.keep;
        for (int r = 0; r < bOut; r++) {
            int go = (row0 + r) * n + col0, lo = r * bIn;
            for (int q = 0; q < g4; q++) {
                float[] k = KEEP[mask.pattern(row0 + r, (col0 >> 2) + q)];
                int o = lo + 4 * q;
                keep[o] = k[0];
                keep[o + 1] = k[1];
                keep[o + 2] = k[2];
                keep[o + 3] = k[3];
            }
            mulInto(core, go, keep, lo, C, lo, bIn);
        }
        // 2. forward
        BlockGemm.gemm(bOut, bIn, bIn, C, 0, bIn, 1, b, bOff, bIn, CB, 0, bIn, false);
        BlockGemm.gemm(bOut, bIn, bOut, a, aOff, bOut, 1, CB, 0, bIn, E, 0, bIn, false);
        for (int r = 0; r < bOut; r++) {
            int go = (row0 + r) * n + col0, lo = r * bIn;
            int q = 0;
            for (; q + L <= bIn; q += L) {
                FloatVector e = FloatVector.fromArray(S, E, lo + q).sub(FloatVector.fromArray(S, wbar, go + q));
                e.intoArray(E, lo + q);
                e.mul(FloatVector.fromArray(S, gScale, col0 + q)).intoArray(G, lo + q);
            }
            for (; q < bIn; q++) {
                float e = E[lo + q] - wbar[go + q];
                E[lo + q] = e;
                G[lo + q] = e * gScale[col0 + q];
            }
        }
        // 3. ∂L/∂C = A_Iᵀ G B_Kᵀ
        BlockGemm.gemm(bOut, bIn, bOut, a, aOff, 1, bOut, G, 0, bIn, T, 0, bIn, false);
        BlockGemm.gemm(bOut, bIn, bIn, T, 0, bIn, 1, bT, bOff, bIn, GC, 0, bIn, false);

        // 4. discrete step
        if (discrete) discreteStep(ws, bi, bk);

        // 5. loss, ∂L/∂W', ∂L/∂A_I, ∂L/∂B_K at the post-step point
        double s = 0;
        for (int r = 0; r < bOut; r++) {
            int lo = r * bIn;
            int q = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; q + L <= bIn; q += L) {
                FloatVector e = FloatVector.fromArray(S, E, lo + q);
                acc = e.mul(e).fma(FloatVector.fromArray(S, h, col0 + q), acc);
            }
            double rs = Lanes.sum(acc);
            for (; q < bIn; q++) rs += E[lo + q] * E[lo + q] * h[col0 + q];
            s += rs;
        }
        ws.loss += kappa * s;
        for (int r = 0; r < bOut; r++) {
            int lo = r * bIn;
            mulInto(GC, lo, keep, lo, gCore, (row0 + r) * n + col0, bIn);
        }
        final float[] cbT = ws.cbT;
        for (int r = 0; r < bOut; r++) for (int q = 0; q < bIn; q++) cbT[q * bOut + r] = CB[r * bIn + q];
        BlockGemm.gemm(bOut, bOut, bIn, G, 0, bIn, 1, cbT, 0, bOut, gA, aOff, bOut, true);
        BlockGemm.gemm(bIn, bIn, bOut, C, 0, 1, bIn, T, 0, bIn, ws.gB, bOff, bIn, true);
    }

    /** {@code out[oo+i] = x[xo+i] * y[yo+i]} for i in [0, len). */
    private static void mulInto(float[] x, int xo, float[] y, int yo, float[] out, int oo, int len) {
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(out, oo + i);
        }
        for (; i < len; i++) out[oo + i] = x[xo + i] * y[yo + i];
    }

    /** {@code y[yo+i] += alpha * x[xo+i]} for i in [0, len). */
    private static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i + L <= len; i += L) {
            va.fma(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    private static float dot(float[] x, int xo, float[] y, int yo, int len) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= len; i += L) {
            acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        }
        float s = Lanes.sum(acc);
        for (; i < len; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /**
     * Re-selects one group of block (bi, bk) exactly: over the six 2:4 patterns, the two values minimizing the
     * block loss with everything else fixed. Leaves C, CB, E, G, T and ∂L/∂C of the workspace at the post-step
     * point.
     */
    private void discreteStep(Workspace ws, int bi, int bk) {
        final int row0 = bi * bOut, col0 = bk * bIn;
        final int aOff = bi * bOut * bOut, bOff = bk * bIn * bIn;
        final float[] C = ws.c, CB = ws.cb, E = ws.e, G = ws.g, T = ws.t, GC = ws.gc;
        final int g4 = bIn / 4, count = bOut * g4;
        final float[] scores = ws.scores;
        for (int r = 0; r < bOut; r++) {
            for (int q = 0; q < g4; q++) {
                int o = r * bIn + 4 * q;
                scores[r * g4 + q] = Math.abs(GC[o]) + Math.abs(GC[o + 1]) + Math.abs(GC[o + 2]) + Math.abs(GC[o + 3]);
            }
        }
        int sel = selection.select(adamSteps, bi, bk, scores, count);
        int r = sel / g4, c = 4 * (sel % g4);

        // a = column r of A_I; ηᵀ = aᵀE
        final float[] av = ws.av, eta = ws.eta;
        double aa = 0;
        for (int p = 0; p < bOut; p++) {
            av[p] = a[aOff + p * bOut + r];
            aa += (double) av[p] * av[p];
        }
        Arrays.fill(eta, 0f);
        for (int p = 0; p < bOut; p++) if (av[p] != 0f) axpy(av[p], E, p * bIn, eta, 0, bIn);
        // R̃ᵀa = diag(√h)(Eᵀa − ‖a‖² (c_old B_K rows)), U = rows c..c+3 of B_K diag(√h)
        float c0 = C[r * bIn + c], c1 = C[r * bIn + c + 1], c2 = C[r * bIn + c + 2], c3 = C[r * bIn + c + 3];
        int u0 = bOff + c * bIn, u1 = u0 + bIn, u2 = u1 + bIn, u3 = u2 + bIn;
        double f0 = 0, f1 = 0, f2 = 0, f3 = 0;
        double g00 = 0, g01 = 0, g02 = 0, g03 = 0, g11 = 0, g12 = 0, g13 = 0, g22 = 0, g23 = 0, g33 = 0;
        for (int j = 0; j < bIn; j++) {
            float sh = sqrtH[col0 + j];
            float b0 = b[u0 + j], b1 = b[u1 + j], b2 = b[u2 + j], b3 = b[u3 + j];
            double old = c0 * b0 + c1 * b1 + c2 * b2 + c3 * b3;
            double rta = sh * (eta[j] - aa * old);
            double x0 = b0 * sh, x1 = b1 * sh, x2 = b2 * sh, x3 = b3 * sh;
            f0 += x0 * rta; f1 += x1 * rta; f2 += x2 * rta; f3 += x3 * rta;
            g00 += x0 * x0; g01 += x0 * x1; g02 += x0 * x2; g03 += x0 * x3;
            g11 += x1 * x1; g12 += x1 * x2; g13 += x1 * x3;
            g22 += x2 * x2; g23 += x2 * x3; g33 += x3 * x3;
        }
        // in the workspace, not new arrays: indexed by the pattern, they escaped C2's escape analysis and were
        // allocated at every step (23 GB over a stories260K prune, its young collections and page faults)
        final double[] f = ws.f, gram = ws.gram;
        f[0] = f0; f[1] = f1; f[2] = f2; f[3] = f3;
        gram[0] = g00; gram[1] = g01; gram[2] = g02; gram[3] = g03;
        gram[4] = g01; gram[5] = g11; gram[6] = g12; gram[7] = g13;
        gram[8] = g02; gram[9] = g12; gram[10] = g22; gram[11] = g23;
        gram[12] = g03; gram[13] = g13; gram[14] = g23; gram[15] = g33;
        int bestP = 0;
        double bestScore = Double.POSITIVE_INFINITY, v0 = 0, v1 = 0;
        for (int p = 0; p < 6; p++) {
            int s0 = Mask24.PATTERNS[p][0], s1 = Mask24.PATTERNS[p][1];
            double a00 = gram[5 * s0] + 1e-9, a11 = gram[5 * s1] + 1e-9, a01 = gram[4 * s0 + s1];
            double det = a00 * a11 - a01 * a01;
            double i00 = a11 / det, i11 = a00 / det, i01 = -a01 / det;
            double y0 = i00 * f[s0] + i01 * f[s1], y1 = i01 * f[s0] + i11 * f[s1]; // G⁻¹ f
            double score = -(f[s0] * y0 + f[s1] * y1);
            if (score < bestScore) {
                bestScore = score;
                bestP = p;
                double scale = -1.0 / (aa + 1e-8);
                v0 = y0 * scale;
                v1 = y1 * scale;
            }
        }
        int s0 = Mask24.PATTERNS[bestP][0], s1 = Mask24.PATTERNS[bestP][1];
        final float[] cNew = ws.cNew;
        Arrays.fill(cNew, 0f);
        cNew[s0] = (float) v0;
        cNew[s1] = (float) v1;
        float d0 = cNew[0] - c0, d1 = cNew[1] - c1, d2 = cNew[2] - c2, d3 = cNew[3] - c3;

        int grow = row0 + r;
        mask.setPattern(grow, (col0 + c) >> 2, bestP);
        core[grow * n + col0 + c + s0] = cNew[s0];
        core[grow * n + col0 + c + s1] = cNew[s1];
        for (int t = 0; t < 4; t++) {
            C[r * bIn + c + t] = cNew[t];
            ws.keep[r * bIn + c + t] = KEEP[bestP][t];
        }

        // rank-1 updates: ΔCB row r = d·B_K[c..c+3], ΔE = a ⊗ ΔCB, ΔG = a ⊗ u with u = 2κh⊙ΔCB,
        // ΔT = (A_Iᵀa) ⊗ u, Δ(∂L/∂C) = (A_Iᵀa) ⊗ (B_K u)
        final float[] dcb = ws.dcb, uu = ws.u, ata = ws.ata, bu = ws.bu;
        for (int j = 0; j < bIn; j++) {
            float x = d0 * b[u0 + j] + d1 * b[u1 + j] + d2 * b[u2 + j] + d3 * b[u3 + j];
            dcb[j] = x;
            uu[j] = x * gScale[col0 + j];
            CB[r * bIn + j] += x;
        }
        Arrays.fill(ata, 0f);
        for (int p = 0; p < bOut; p++) if (av[p] != 0f) axpy(av[p], a, aOff + p * bOut, ata, 0, bOut);
        for (int q = 0; q < bIn; q++) bu[q] = dot(b, bOff + q * bIn, uu, 0, bIn);
        for (int p = 0; p < bOut; p++) {
            float ap = av[p], tp = ata[p];
            int lo = p * bIn;
            axpy(ap, dcb, 0, E, lo, bIn);
            axpy(ap, uu, 0, G, lo, bIn);
            axpy(tp, uu, 0, T, lo, bIn);
            axpy(tp, bu, 0, GC, lo, bIn);
        }
    }

    // ---- results ----

    public double initialLoss() {
        return initialLoss;
    }

    /** Proxy loss at the current point (after the last iteration). */
    public double loss() {
        return loss;
    }

    public int rows() {
        return m;
    }

    public int cols() {
        return n;
    }

    public int blockOut() {
        return bOut;
    }

    public int blockIn() {
        return bIn;
    }

    public Mask24 mask() {
        return mask;
    }

    public NoWagNormalization normalization() {
        return norm;
    }

    /** The 2:4 core {@code C = W' ⊙ M} in the normalized space, m×n with the pruned entries zero. */
    public float[] core() {
        float[] c = core.clone();
        mask.apply(c);
        return c;
    }

    /** A with the NoWag row scaling folded in: block I row p scaled by r_out. Shape (m/bOut, bOut, bOut). */
    public float[] foldedA() {
        float[] out = a.clone();
        float[] rOut = norm.rOut();
        for (int bi = 0; bi < nbOut; bi++) {
            for (int p = 0; p < bOut; p++) {
                int o = bi * bOut * bOut + p * bOut;
                for (int q = 0; q < bOut; q++) out[o + q] *= rOut[bi * bOut + p];
            }
        }
        return out;
    }

    /** B with the NoWag column scaling folded in: block K column q scaled by r_in. Shape (n/bIn, bIn, bIn). */
    public float[] foldedB() {
        float[] out = b.clone();
        float[] rIn = norm.rIn();
        for (int bk = 0; bk < nbIn; bk++) {
            for (int p = 0; p < bIn; p++) {
                int o = bk * bIn * bIn + p * bIn;
                for (int q = 0; q < bIn; q++) out[o + q] *= rIn[bk * bIn + q];
            }
        }
        return out;
    }

    /** The dense reconstruction {@code Ŵ = diag(r_out) A (W' ⊙ M) B diag(r_in)} in the original space. */
    public float[] reconstruct() {
        return reconstruct(foldedA(), core(), foldedB(), m, n, bOut, bIn);
    }

    /** {@code A · C · B} for block-diagonal A (m/bOut blocks) and B (n/bIn blocks). */
    public static float[] reconstruct(float[] a, float[] c, float[] b, int m, int n, int bOut, int bIn) {
        float[] cb = new float[m * n];
        for (int bk = 0; bk < n / bIn; bk++) {
            BlockGemm.gemm(m, bIn, bIn, c, bk * bIn, n, 1, b, bk * bIn * bIn, bIn, cb, bk * bIn, n, false);
        }
        float[] out = new float[m * n];
        for (int bi = 0; bi < m / bOut; bi++) {
            BlockGemm.gemm(bOut, n, bOut, a, bi * bOut * bOut, bOut, 1, cb, bi * bOut * n, n, out, bi * bOut * n, n,
                    false);
        }
        return out;
    }

    // ---- package-private access for the tests ----

    void setSelection(GroupSelection s) {
        this.selection = s;
    }

    float[] a() {
        return a;
    }

    float[] b() {
        return b;
    }

    float[] rawCore() {
        return core;
    }

    float[] gradA() {
        return gA;
    }

    float[] gradB() {
        return gB;
    }

    float[] gradCore() {
        return gCore;
    }

    float[] normalizedTarget() {
        return wbar;
    }

    float[] h() {
        return h;
    }

    double kappa() {
        return kappa;
    }

    /** Per-thread scratch blocks (each b×b block of the pass stays in cache). */
    private static final class Workspace {
        final float[] c, cb, e, g, t, gc, cbT, keep, gB, scores, av, eta, dcb, u, ata, bu;
        /** The discrete step's right-hand side and 4 × 4 Gram matrix (row-major) of one group, and its new values. */
        final double[] f = new double[4], gram = new double[16];
        final float[] cNew = new float[4];
        double loss;

        Workspace(int bOut, int bIn, int nbIn) {
            int bb = bOut * bIn;
            c = new float[bb];
            cb = new float[bb];
            e = new float[bb];
            g = new float[bb];
            t = new float[bb];
            gc = new float[bb];
            cbT = new float[bb];
            keep = new float[bb];
            gB = new float[nbIn * bIn * bIn];
            scores = new float[bOut * (bIn / 4)];
            av = new float[bOut];
            eta = new float[bIn];
            dcb = new float[bIn];
            u = new float[bIn];
            ata = new float[bOut];
            bu = new float[bIn];
        }
    }
}
