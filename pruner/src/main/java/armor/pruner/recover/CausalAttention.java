package armor.pruner.recover;

import armor.runtime.kernels.AttentionKernels;
import armor.runtime.kernels.Lanes;
import armor.runtime.kernels.Parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention over whole training sequences (no KV cache), with its gradient. Rows are
 * {@code sequences × length} tokens; q is {@code rows × heads·hd}, k and v {@code rows × kvHeads·hd}, all after RoPE.
 * The softmax probabilities are kept for the backward pass ({@code sequences × heads × length × length}).
 *
 * <p>Backward, per query i and key j ≤ i: {@code dP = dout_i·v_j}, {@code dS = P(dP − Σ_j P dP)},
 * {@code dq_i = scale Σ_j dS k_j}, {@code dk_j += scale dS q_i}, {@code dv_j += P dout_i}. Work is split by
 * (sequence, kv head), so each unit owns the dk and dv it writes and the result does not depend on the thread count.
 */
final class CausalAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final int heads, kvHeads, hd;
    private final float scale;
    private float[] probs;

    CausalAttention(int heads, int kvHeads, int headDim) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.hd = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    void forward(float[] q, float[] k, float[] v, float[] out, int sequences, int length) {
        final int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        long need = (long) sequences * heads * length * length;
        if (need > Integer.MAX_VALUE) throw new IllegalArgumentException("attention: batch too large to train on");
        if (probs == null || probs.length < need) probs = new float[(int) need];
        final float[] p = probs;
        Parallel.forRange(sequences * heads, 1, (from, to) -> {
            for (int unit = from; unit < to; unit++) {
                int s = unit / heads, h = unit % heads, kvo = (h / group) * hd;
                for (int i = 0; i < length; i++) {
                    int row = s * length + i, qo = row * qDim + h * hd;
                    int po = ((s * heads + h) * length + i) * length;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        float sc = AttentionKernels.dot(q, qo, k, (s * length + j) * kvDim + kvo, hd) * scale;
                        p[po + j] = sc;
                        if (sc > max) max = sc;
                    }
                    FloatVector sums = FloatVector.zero(F);
                    int j = 0;
                    for (int bound = F.loopBound(i + 1); j < bound; j += F.length()) {
                        FloatVector e = Exponential.exp(FloatVector.fromArray(F, p, po + j).sub(max));
                        e.intoArray(p, po + j);
                        sums = sums.add(e);
                    }
                    float sum = Lanes.sum(sums);
                    for (; j <= i; j++) {
                        float e = (float) Math.exp(p[po + j] - max);
                        p[po + j] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (j = 0; j <= i; j++) p[po + j] *= inv;
                    AttentionKernels.weightedSum(p, po, i + 1, v, s * length * kvDim + kvo, kvDim, out, row * qDim + h * hd, hd);
                }
            }
        });
    }

    /** Overwrites dq, dk and dv from {@code dOut} and the inputs of the last {@link #forward}. */
    void backward(float[] dOut, float[] q, float[] k, float[] v, float[] dq, float[] dk, float[] dv,
                  int sequences, int length) {
        final int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        final float[] p = probs;
        java.util.Arrays.fill(dk, 0, sequences * length * kvDim, 0f);
        java.util.Arrays.fill(dv, 0, sequences * length * kvDim, 0f);
        Parallel.forRange(sequences * kvHeads, 1, (from, to) -> {
            float[] dp = new float[length];
            for (int unit = from; unit < to; unit++) {
                int s = unit / kvHeads, g = unit % kvHeads, kvo = g * hd;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int i = 0; i < length; i++) {
                        int row = s * length + i, qo = row * qDim + h * hd;
                        int po = ((s * heads + h) * length + i) * length;
                        float dot = 0;
                        for (int j = 0; j <= i; j++) {
                            int kv = (s * length + j) * kvDim + kvo;
                            dp[j] = AttentionKernels.dot(dOut, qo, v, kv, hd);
                            dot += p[po + j] * dp[j];
                            AttentionKernels.axpy(p[po + j], dOut, qo, dv, kv, hd);
                        }
                        java.util.Arrays.fill(dq, qo, qo + hd, 0f);
                        for (int j = 0; j <= i; j++) {
                            float ds = p[po + j] * (dp[j] - dot) * scale;
                            int kv = (s * length + j) * kvDim + kvo;
                            AttentionKernels.axpy(ds, k, kv, dq, qo, hd);
                            AttentionKernels.axpy(ds, q, qo, dk, kv, hd);
                        }
                    }
                }
            }
        });
    }
}
