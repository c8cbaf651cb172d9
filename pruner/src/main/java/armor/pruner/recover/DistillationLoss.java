package armor.pruner.recover;

import armor.runtime.kernels.Lanes;
import armor.runtime.kernels.Parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The recovery objective: the mean over tokens of {@code KL(p_teacher ‖ q_student)} on the next-token distributions,
 * whose gradient with respect to the student's logits is {@code (q − p) / tokens}.
 *
 * <p>Two passes over each row of the vocabulary, each logit exp'd once (four times per element took about a second of
 * every stories15M step).
 */
final class DistillationLoss {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private DistillationLoss() {}

    /** Returns the mean KL (nats) and writes its gradient into {@code dLogits}. */
    static double compute(float[] teacher, float[] student, float[] dLogits, int tokens, int vocab) {
        double[] kl = new double[tokens];
        final float invTokens = 1f / tokens;
        Parallel.forRange(tokens, 8, (from, to) -> {
            float[] p = new float[vocab];
            for (int t = from; t < to; t++) kl[t] = row(teacher, student, dLogits, p, t * vocab, vocab, invTokens);
        });
        double total = 0;
        for (double k : kl) total += k;
        return total / tokens;
    }

    private static double row(float[] teacher, float[] student, float[] d, float[] p, int o, int vocab, float scale) {
        int bound = F.loopBound(vocab);
        float maxT = max(teacher, o, vocab), maxS = max(student, o, vocab);
        // pass 1: p ← exp(t − max t), d ← exp(s − max s), and their sums, with Exponential.exp (the Vector
        // API's EXP differs in the last bit between the interpreter and compiled code; training must be deterministic)
        FloatVector sumT = FloatVector.zero(F), sumS = FloatVector.zero(F);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector et = Exponential.exp(FloatVector.fromArray(F, teacher, o + j).sub(maxT));
            FloatVector es = Exponential.exp(FloatVector.fromArray(F, student, o + j).sub(maxS));
            et.intoArray(p, j);
            es.intoArray(d, o + j);
            sumT = sumT.add(et);
            sumS = sumS.add(es);
        }
        float st = Lanes.sum(sumT), ss = Lanes.sum(sumS);
        for (; j < vocab; j++) {
            float et = (float) Math.exp(teacher[o + j] - maxT), es = (float) Math.exp(student[o + j] - maxS);
            p[j] = et;
            d[o + j] = es;
            st += et;
            ss += es;
        }
        // pass 2: KL = Σ p (log p − log q) with log p − log q = (t − s) − (lse t − lse s); d ← (q − p) / tokens
        float shift = (float) ((maxT + Math.log(st)) - (maxS + Math.log(ss)));
        float invT = 1f / st, invS = 1f / ss;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector pv = FloatVector.fromArray(F, p, i).mul(invT);
            FloatVector qv = FloatVector.fromArray(F, d, o + i).mul(invS);
            FloatVector diff = FloatVector.fromArray(F, teacher, o + i).sub(FloatVector.fromArray(F, student, o + i)).sub(shift);
            acc = pv.fma(diff, acc);
            qv.sub(pv).mul(scale).intoArray(d, o + i);
        }
        double sum = Lanes.sum(acc);
        for (; i < vocab; i++) {
            float pi = p[i] * invT, qi = d[o + i] * invS;
            sum += pi * (teacher[o + i] - student[o + i] - shift);
            d[o + i] = (qi - pi) * scale;
        }
        return sum;
    }

    private static float max(float[] x, int o, int n) {
        int bound = F.loopBound(n);
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += F.length()) m = m.max(FloatVector.fromArray(F, x, o + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[o + i]);
        return r;
    }
}
