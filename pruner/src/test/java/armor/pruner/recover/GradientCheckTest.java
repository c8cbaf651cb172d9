package armor.pruner.recover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.DenseLinear;
import armor.runtime.model.Model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/**
 * Every gradient of recovery training against central finite differences of the same float32 forward pass, as
 * directional derivatives (along the analytic gradient and along random directions, per tensor): a wrong sign, a
 * missing term or a transposed block shows up as a ratio far from 1. The loss is evaluated in double over the float
 * outputs; perturbations are sized so that the change of the loss is about 1e-3 of it, far above float rounding.
 */
class GradientCheckTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final double TOLERANCE = 2e-2;

    /** Central difference of {@code loss} along {@code dir} applied to {@code values}, divided by ε. */
    static double directional(float[] values, float[] dir, Supplier<Double> loss, double eps) {
        float[] saved = values.clone();
        for (int i = 0; i < values.length; i++) values[i] = (float) (saved[i] + eps * dir[i]);
        double plus = loss.get();
        for (int i = 0; i < values.length; i++) values[i] = (float) (saved[i] - eps * dir[i]);
        double minus = loss.get();
        System.arraycopy(saved, 0, values, 0, values.length);
        return (plus - minus) / (2 * eps);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** Checks {@code grad} against the loss along the gradient itself and two random directions (masked if given). */
    static void check(String what, float[] values, float[] grad, float[] mask, Supplier<Double> loss, Runnable after,
                      SplittableRandom rnd) {
        List<float[]> dirs = new ArrayList<>();
        dirs.add(grad.clone());
        for (int r = 0; r < 2; r++) {
            float[] d = new float[values.length];
            for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
            dirs.add(d);
        }
        double base = Math.abs(loss.get());
        for (float[] d : dirs) {
            if (mask != null) for (int i = 0; i < d.length; i++) d[i] *= mask[i];
            double norm = Math.sqrt(dot(d, d));
            if (norm == 0) continue;
            for (int i = 0; i < d.length; i++) d[i] /= (float) norm;
            double analytic = dot(grad, d);
            double gnorm = Math.sqrt(dot(grad, grad));
            double eps = Math.max(1e-4, Math.min(1e-2, 1e-3 * Math.max(base, 1e-3) / Math.max(gnorm, 1e-12)));
            double numeric = directional(values, d, () -> {
                after.run();
                return loss.get();
            }, eps);
            after.run();
            double err = Math.abs(numeric - analytic);
            assertTrue(err <= TOLERANCE * gnorm + 1e-7,
                    what + ": directional derivative " + analytic + " (analytic) vs " + numeric + " (finite differences), |grad| "
                            + gnorm);
        }
    }

    static float[] gaussian(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    /** A random 2:4 mask: two kept positions of every four. */
    static float[] mask24(SplittableRandom rnd, int rows, int cols) {
        float[] m = new float[rows * cols];
        for (int g = 0; g < rows * cols / 4; g++) {
            int a = rnd.nextInt(4), b = (a + 1 + rnd.nextInt(3)) % 4;
            m[4 * g + a] = 1;
            m[4 * g + b] = 1;
        }
        return m;
    }

    /** Loss {@code Σ c·f(x)} of a linear layer, with its gradient and the input's. */
    static void checkLinear(TrainableLinear lin, int rows, SplittableRandom rnd) {
        int in = lin.inFeatures(), out = lin.outFeatures();
        float[] x = gaussian(rnd, rows * in, 1), c = gaussian(rnd, rows * out, 1), y = new float[rows * out];
        Supplier<Double> loss = () -> {
            lin.forward(x, y, rows);
            return dot(c, y);
        };
        loss.get();
        float[] dx = new float[rows * in];
        lin.backward(c, dx, rows, false);
        for (Parameter p : lin.parameters()) {
            float[] g = p.grad().clone();
            if (p.mask() != null) {
                for (int i = 0; i < g.length; i++) {
                    if (p.mask()[i] == 0 && g[i] != 0) {
                        // the optimizer masks gradients; the mask itself is what keeps values at zero
                        g[i] = 0;
                    }
                }
            }
            check(p.name(), p.value(), g, p.mask(), loss, lin::refresh, rnd);
        }
        check("input", x, dx, null, loss, () -> { }, rnd);
    }

    @Test
    void maskedLinearWithBias() {
        SplittableRandom rnd = new SplittableRandom(1);
        int in = 24, out = 20;
        float[] mask = mask24(rnd, out, in), w = gaussian(rnd, out * in, 0.3);
        for (int i = 0; i < w.length; i++) w[i] *= mask[i];
        checkLinear(new MaskedLinear("masked", w, mask, gaussian(rnd, out, 1), in, out), 5, rnd);
    }

    @Test
    void armorLinearWithUnequalBlocks() {
        SplittableRandom rnd = new SplittableRandom(2);
        int in = 32, out = 24, ba = 8, bb = 16;
        float[] mask = mask24(rnd, out, in), c = gaussian(rnd, out * in, 0.3);
        for (int i = 0; i < c.length; i++) c[i] *= mask[i];
        ArmorTrainableLinear lin = new ArmorTrainableLinear("armor", gaussian(rnd, out * ba, 0.4), ba, c, mask,
                gaussian(rnd, in * bb, 0.3), bb, null, in, out);
        checkLinear(lin, 7, rnd);
    }

    @Test
    void armorForwardIsTheProductOfItsFactors() {
        SplittableRandom rnd = new SplittableRandom(3);
        int in = 16, out = 8, ba = 4, bb = 8, rows = 3;
        float[] mask = mask24(rnd, out, in), c = gaussian(rnd, out * in, 1);
        for (int i = 0; i < c.length; i++) c[i] *= mask[i];
        float[] a = gaussian(rnd, out * ba, 1), b = gaussian(rnd, in * bb, 1), bias = gaussian(rnd, out, 1);
        ArmorTrainableLinear lin = new ArmorTrainableLinear("armor", a, ba, c, mask, b, bb, bias, in, out);
        float[] x = gaussian(rnd, rows * in, 1), y = new float[rows * out];
        lin.forward(x, y, rows);
        // brute force: dense A (out×out) and B (in×in) from their blocks, y = A·C·B·x + bias in double
        double[][] A = new double[out][out], B = new double[in][in];
        for (int k = 0; k < out / ba; k++) for (int i = 0; i < ba; i++) for (int j = 0; j < ba; j++) A[k * ba + i][k * ba + j] = a[(k * ba + i) * ba + j];
        for (int k = 0; k < in / bb; k++) for (int i = 0; i < bb; i++) for (int j = 0; j < bb; j++) B[k * bb + i][k * bb + j] = b[(k * bb + i) * bb + j];
        for (int t = 0; t < rows; t++) {
            double[] u = new double[in], z = new double[out];
            for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) u[i] += B[i][j] * x[t * in + j];
            for (int i = 0; i < out; i++) for (int j = 0; j < in; j++) z[i] += c[i * in + j] * u[j];
            for (int i = 0; i < out; i++) {
                double s = bias[i];
                for (int j = 0; j < out; j++) s += A[i][j] * z[j];
                assertEquals(s, y[t * out + i], 1e-4 * (1 + Math.abs(s)), "row " + t + " output " + i);
            }
        }
    }

    @Test
    void rmsNormSwiGluAndAttention() {
        SplittableRandom rnd = new SplittableRandom(4);
        int rows = 6, size = 12;
        float[] x = gaussian(rnd, rows * size, 1), w = gaussian(rnd, size, 1), c = gaussian(rnd, rows * size, 1);
        float[] y = new float[rows * size], inv = new float[rows];
        Supplier<Double> norm = () -> {
            RmsNorm.forward(x, y, w, inv, rows, size, 1e-5f);
            return dot(c, y);
        };
        norm.get();
        float[] dx = new float[rows * size], dw = new float[size];
        RmsNorm.backward(c, x, w, inv, dx, dw, rows, size);
        check("rmsnorm weight", w, dw, null, norm, () -> { }, rnd);
        check("rmsnorm input", x, dx, null, norm, () -> { }, rnd);

        float[] g = gaussian(rnd, 40, 2), u = gaussian(rnd, 40, 1), h = new float[40], ch = gaussian(rnd, 40, 1);
        Supplier<Double> glu = () -> {
            SwiGlu.forward(g, u, h, 40);
            return dot(ch, h);
        };
        float[] dg = new float[40], du = new float[40];
        SwiGlu.backward(ch, g, u, dg, du, 40);
        check("swiglu gate", g, dg, null, glu, () -> { }, rnd);
        check("swiglu up", u, du, null, glu, () -> { }, rnd);

        int heads = 4, kvHeads = 2, hd = 8, seqs = 2, len = 5, n = seqs * len;
        CausalAttention att = new CausalAttention(heads, kvHeads, hd);
        float[] q = gaussian(rnd, n * heads * hd, 1), k = gaussian(rnd, n * kvHeads * hd, 1);
        float[] v = gaussian(rnd, n * kvHeads * hd, 1), out = new float[n * heads * hd];
        float[] co = gaussian(rnd, out.length, 1);
        Supplier<Double> attention = () -> {
            att.forward(q, k, v, out, seqs, len);
            return dot(co, out);
        };
        attention.get();
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        att.backward(co, q, k, v, dq, dk, dv, seqs, len);
        check("attention q", q, dq, null, attention, () -> { }, rnd);
        check("attention k", k, dk, null, attention, () -> { }, rnd);
        check("attention v", v, dv, null, attention, () -> { }, rnd);
        // causality: the first token of each sequence attends to itself only
        att.forward(q, k, v, out, seqs, len);
        for (int d = 0; d < hd; d++) assertEquals(v[d], out[d], 1e-6f);
    }

    /**
     * The whole student end to end (embedding → blocks → norm → head → KL), on Qwen2 (q/k/v biases, tied head) and
     * Qwen3 (q/k norms, GQA, head_dim ≠ hidden/heads): every tensor's gradient, with ARMOR, 2:4 and dense
     * projections mixed.
     */
    @Test
    void wholeStudentOnQwen2AndQwen3() {
        for (String name : List.of("tiny-qwen2-random", "tiny-qwen3-random-b")) {
            try (Model model = Model.load(SHARED.resolve("models/" + name))) {
                SplittableRandom rnd = new SplittableRandom(5);
                StudentModel student = StudentModel.of(model, (proj, lin) -> mixedKinds(proj, lin, rnd));
                int[][] batch = {{1, 5, 9, 300, 2, 77}, {4, 8, 15, 16, 23, 42}};
                int tokens = 12, vocab = model.config().vocabSize();
                float[] teacher = gaussian(rnd, tokens * vocab, 2);
                Supplier<Double> loss = () -> DistillationLoss.compute(teacher, student.forward(batch),
                        new float[tokens * vocab], tokens, vocab);
                float[] logits = student.forward(batch);
                float[] dLogits = new float[tokens * vocab];
                DistillationLoss.compute(teacher, logits, dLogits, tokens, vocab);
                student.backward(dLogits, 2, 6);
                for (Parameter p : student.parameters()) {
                    float[] g = p.grad().clone();
                    if (p.mask() != null) for (int i = 0; i < g.length; i++) g[i] *= p.mask()[i];
                    check(name + " " + p.name(), p.value(), g, p.mask(), loss, student::refresh, rnd);
                }
            }
        }
    }

    /** Block-wise reconstruction: the relative squared error of one block against a target, for every tensor of it. */
    @Test
    void blockReconstructionOnLlama3() {
        try (Model model = Model.load(SHARED.resolve("models/tiny-llama3-random"))) {
            SplittableRandom rnd = new SplittableRandom(7);
            StudentModel student = StudentModel.of(model, (proj, lin) -> mixedKinds(proj, lin, rnd));
            int[][] batch = {{1, 5, 9, 300, 2}, {4, 8, 15, 16, 23}};
            float[][] hidden = student.hiddenStates(batch);
            float[] target = gaussian(rnd, hidden[2].length, 1);
            for (Parameter p : student.parameters()) p.zeroGrad();
            Supplier<Double> loss = () -> {
                double l = student.reconstructBlock(1, hidden[1], target, 2, 5);
                for (Parameter p : student.parameters()) p.zeroGrad();
                return l;
            };
            student.reconstructBlock(1, hidden[1], target, 2, 5);
            List<float[]> grads = new ArrayList<>();
            for (Parameter p : student.layer(1).parameters()) grads.add(p.grad().clone()); // loss.get() clears them
            for (int k = 0; k < grads.size(); k++) {
                Parameter p = student.layer(1).parameters().get(k);
                float[] g = grads.get(k);
                if (p.mask() != null) for (int i = 0; i < g.length; i++) g[i] *= p.mask()[i];
                check("block 1 " + p.name(), p.value(), g, p.mask(), loss, student::refresh, rnd);
            }
        }
    }

    @Test
    void klGradientIsSoftmaxDifference() {
        SplittableRandom rnd = new SplittableRandom(6);
        int tokens = 3, vocab = 50;
        float[] t = gaussian(rnd, tokens * vocab, 2), s = gaussian(rnd, tokens * vocab, 2), d = new float[s.length];
        double kl = DistillationLoss.compute(t, s, d, tokens, vocab);
        assertTrue(kl > 0);
        check("kl logits", s, d, null, () -> DistillationLoss.compute(t, s, new float[s.length], tokens, vocab),
                () -> { }, rnd);
        assertEquals(0.0, DistillationLoss.compute(t, t.clone(), d, tokens, vocab), 1e-9, "KL of a distribution with itself");
    }

    /** q and gate as ARMOR (block 4 and 8), k, v and up as 2:4 by magnitude, o and down dense. */
    static TrainableLinear mixedKinds(String name, Linear lin, SplittableRandom rnd) {
        int in = lin.inFeatures(), out = lin.outFeatures();
        float[] w = TensorFloats.read(((DenseLinear) lin).weight());
        float[] bias = ((DenseLinear) lin).bias();
        Sparse24Core core = Sparse24Core.byMagnitude(w, out, in);
        if (name.endsWith("q_proj") || name.endsWith("gate_proj")) {
            int b = name.endsWith("q_proj") ? 4 : 8;
            float[] a = nearIdentity(out, b, rnd), bb = nearIdentity(in, b, rnd);
            return new ArmorTrainableLinear(name, a, b, core.toDense(), StudentModel.maskOf(core), bb, b, bias, in, out);
        }
        if (name.endsWith("k_proj") || name.endsWith("v_proj") || name.endsWith("up_proj")) {
            return new MaskedLinear(name, core.toDense(), StudentModel.maskOf(core), bias, in, out);
        }
        return new MaskedLinear(name, w, null, bias, in, out);
    }

    static float[] nearIdentity(int dim, int b, SplittableRandom rnd) {
        float[] m = gaussian(rnd, dim * b, 0.1);
        for (int k = 0; k < dim / b; k++) for (int i = 0; i < b; i++) m[(k * b + i) * b + i] += 1;
        return m;
    }
}
