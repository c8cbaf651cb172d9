package armor.pruner.recover;

import armor.runtime.kernels.Parallel;

/**
 * The recovery objective: the mean over tokens of {@code KL(p_teacher ‖ q_student)} on the next-token distributions,
 * whose gradient with respect to the student's logits is {@code (q − p) / tokens}.
 */
final class DistillationLoss {
    private DistillationLoss() {}

    /** Returns the mean KL (nats) and writes its gradient into {@code dLogits}. */
    static double compute(float[] teacher, float[] student, float[] dLogits, int tokens, int vocab) {
        double[] kl = new double[tokens];
        final float invTokens = 1f / tokens;
        Parallel.forRange(tokens, 8, (from, to) -> {
            float[] p = new float[vocab];
            for (int t = from; t < to; t++) {
                int o = t * vocab;
                double lseP = logSumExp(teacher, o, vocab), lseQ = logSumExp(student, o, vocab);
                double sum = 0;
                for (int i = 0; i < vocab; i++) {
                    double lp = teacher[o + i] - lseP, lq = student[o + i] - lseQ;
                    double pi = Math.exp(lp);
                    p[i] = (float) pi;
                    if (pi > 0) sum += pi * (lp - lq);
                    dLogits[o + i] = ((float) Math.exp(lq) - p[i]) * invTokens;
                }
                kl[t] = sum;
            }
        });
        double total = 0;
        for (double k : kl) total += k;
        return total / tokens;
    }

    private static double logSumExp(float[] x, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[o + i] - max);
        return max + Math.log(s);
    }
}
