package armor.pruner.recover;

import armor.runtime.config.ModelConfig;
import armor.runtime.model.Rope;

import java.util.ArrayList;
import java.util.List;

/**
 * One decoder block of the student, trained: RMSNorm → q/k/v (+ Qwen3's q/k norms) → RoPE → causal attention → o →
 * residual → RMSNorm → SwiGLU MLP → residual, as {@code armor.runtime.model.Decoder} computes it, with the backward
 * pass. The forward keeps its activations (this block's own buffers) for the backward of the same batch.
 */
final class StudentLayer {
    final Parameter inputNorm, postNorm, qNorm, kNorm;
    final TrainableLinear q, k, v, o, gate, up, down;
    private final ModelConfig c;
    private final CausalAttention attention;
    private int rows;
    private float[] xIn, xn1, inv1, qa, ka, va, qRaw, kRaw, invQ, invK, att, xMid, xn2, inv2, g, u, h;

    StudentLayer(ModelConfig c, int index, float[] inputNorm, float[] postNorm, float[] qNorm, float[] kNorm,
                 List<TrainableLinear> projections) {
        this.c = c;
        String p = "model.layers." + index + ".";
        this.inputNorm = Parameter.of(p + "input_layernorm.weight", inputNorm, null);
        this.postNorm = Parameter.of(p + "post_attention_layernorm.weight", postNorm, null);
        this.qNorm = qNorm == null ? null : Parameter.of(p + "self_attn.q_norm.weight", qNorm, null);
        this.kNorm = kNorm == null ? null : Parameter.of(p + "self_attn.k_norm.weight", kNorm, null);
        this.q = projections.get(0);
        this.k = projections.get(1);
        this.v = projections.get(2);
        this.o = projections.get(3);
        this.gate = projections.get(4);
        this.up = projections.get(5);
        this.down = projections.get(6);
        this.attention = new CausalAttention(c.numHeads(), c.numKvHeads(), c.headDim());
    }

    List<TrainableLinear> projections() {
        return List.of(q, k, v, o, gate, up, down);
    }

    List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(List.of(inputNorm, postNorm));
        if (qNorm != null) all.addAll(List.of(qNorm, kNorm));
        for (TrainableLinear l : projections()) all.addAll(l.parameters());
        return all;
    }

    private void allocate(int n) {
        if (rows == n) return;
        rows = n;
        int hdn = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), in = c.intermediateSize();
        xIn = new float[n * hdn]; xn1 = new float[n * hdn]; inv1 = new float[n];
        qa = new float[n * qd]; ka = new float[n * kvd]; va = new float[n * kvd];
        if (qNorm != null) {
            qRaw = new float[n * qd]; kRaw = new float[n * kvd];
            invQ = new float[n * c.numHeads()]; invK = new float[n * c.numKvHeads()];
        }
        att = new float[n * qd]; xMid = new float[n * hdn]; xn2 = new float[n * hdn]; inv2 = new float[n];
        g = new float[n * in]; u = new float[n * in]; h = new float[n * in];
    }

    /** {@code x} ({@code sequences × length} rows of the hidden size) becomes this block's output. */
    void forward(float[] x, int sequences, int length, Rope rope, double[] freq) {
        int n = sequences * length, hdn = c.hiddenSize(), hd = c.headDim();
        allocate(n);
        float eps = c.rmsNormEps();
        System.arraycopy(x, 0, xIn, 0, n * hdn);
        RmsNorm.forward(x, xn1, inputNorm.value(), inv1, n, hdn, eps);
        q.forward(xn1, qa, n);
        k.forward(xn1, ka, n);
        v.forward(xn1, va, n);
        if (qNorm != null) {
            System.arraycopy(qa, 0, qRaw, 0, qRaw.length);
            System.arraycopy(ka, 0, kRaw, 0, kRaw.length);
            RmsNorm.forward(qRaw, qa, qNorm.value(), invQ, n * c.numHeads(), hd, eps);
            RmsNorm.forward(kRaw, ka, kNorm.value(), invK, n * c.numKvHeads(), hd, eps);
        }
        for (int r = 0; r < n; r++) {
            rope.apply(qa, r * c.qDim(), c.numHeads(), r % length, freq);
            rope.apply(ka, r * c.kvDim(), c.numKvHeads(), r % length, freq);
        }
        attention.forward(qa, ka, va, att, sequences, length);
        float[] tmp = new float[n * hdn];
        o.forward(att, tmp, n);
        for (int i = 0; i < n * hdn; i++) x[i] += tmp[i];
        System.arraycopy(x, 0, xMid, 0, n * hdn);
        RmsNorm.forward(x, xn2, postNorm.value(), inv2, n, hdn, eps);
        gate.forward(xn2, g, n);
        up.forward(xn2, u, n);
        SwiGlu.forward(g, u, h, n * c.intermediateSize());
        down.forward(h, tmp, n);
        for (int i = 0; i < n * hdn; i++) x[i] += tmp[i];
    }

    /** {@code dx}, the gradient of this block's output, becomes the gradient of its input; parameter gradients add up. */
    void backward(float[] dx, int sequences, int length, Rope rope, double[] freq) {
        int n = sequences * length, hdn = c.hiddenSize(), hd = c.headDim(), in = c.intermediateSize();
        float[] dh = new float[n * in], dg = new float[n * in], du = new float[n * in];
        down.backward(dx, dh, n, false);
        SwiGlu.backward(dh, g, u, dg, du, n * in);
        float[] dxn = new float[n * hdn];
        gate.backward(dg, dxn, n, false);
        up.backward(du, dxn, n, true);
        RmsNorm.backward(dxn, xMid, postNorm.value(), inv2, dx, postNorm.grad(), n, hdn);

        float[] datt = new float[n * c.qDim()];
        o.backward(dx, datt, n, false);
        float[] dq = new float[n * c.qDim()], dk = new float[n * c.kvDim()], dv = new float[n * c.kvDim()];
        attention.backward(datt, qa, ka, va, dq, dk, dv, sequences, length);
        for (int r = 0; r < n; r++) { // RoPE is a rotation: its gradient rotates back
            rope.apply(dq, r * c.qDim(), c.numHeads(), -(r % length), freq);
            rope.apply(dk, r * c.kvDim(), c.numKvHeads(), -(r % length), freq);
        }
        if (qNorm != null) {
            float[] dqRaw = new float[dq.length], dkRaw = new float[dk.length];
            RmsNorm.backward(dq, qRaw, qNorm.value(), invQ, dqRaw, qNorm.grad(), n * c.numHeads(), hd);
            RmsNorm.backward(dk, kRaw, kNorm.value(), invK, dkRaw, kNorm.grad(), n * c.numKvHeads(), hd);
            dq = dqRaw;
            dk = dkRaw;
        }
        java.util.Arrays.fill(dxn, 0f);
        q.backward(dq, dxn, n, false);
        k.backward(dk, dxn, n, true);
        v.backward(dv, dxn, n, true);
        RmsNorm.backward(dxn, xIn, inputNorm.value(), inv1, dx, inputNorm.grad(), n, hdn);
    }
}
