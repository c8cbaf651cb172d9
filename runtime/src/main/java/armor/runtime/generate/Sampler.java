package armor.runtime.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits. Stateful only through its random generator, seeded from
 * {@link SamplingParams#seed()}, so one sampler per sequence gives reproducible output.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    /**
     * @param logits  holds the row at {@code [offset, offset + vocab)}; it is not modified
     * @param history tokens seen so far (prompt and generated) for the repetition penalty
     */
    public int sample(float[] logits, int offset, int vocab, int[] history, int historyLength) {
        float[] l = Arrays.copyOfRange(logits, offset, offset + vocab);
        if (params.repetitionPenalty() != 1f) {
            boolean[] seen = new boolean[vocab];
            for (int i = 0; i < historyLength; i++) {
                int t = history[i];
                if (t >= 0 && t < vocab && !seen[t]) {
                    seen[t] = true;
                    l[t] = l[t] > 0 ? l[t] / params.repetitionPenalty() : l[t] * params.repetitionPenalty();
                }
            }
        }
        if (params.isGreedy()) return argmax(l);

        // Probabilities at the temperature, sorted by descending probability.
        float max = Float.NEGATIVE_INFINITY;
        for (float v : l) max = Math.max(max, v);
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((l[i] - max) / params.temperature());
            sum += p[i];
        }
        // Sort by descending probability: primitive keys (probability bits above the index) sort much faster than
        // boxed indices with a comparator (a 128k vocabulary every token).
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) keys[i] = ((long) Float.floatToRawIntBits((float) p[i]) << 32) | i;
        Arrays.sort(keys);
        int[] order = new int[vocab];
        for (int i = 0; i < vocab; i++) order[i] = (int) keys[vocab - 1 - i];
        int keep = vocab;
        if (params.topK() > 0) keep = Math.min(keep, params.topK());
        if (params.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[order[i]] / sum;
                if (cum >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (params.minP() > 0f) {
            double threshold = params.minP() * p[order[0]];
            int k = 1;
            while (k < keep && p[order[k]] >= threshold) k++;
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += p[order[i]];
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r < 0) return order[i];
        }
        return order[keep - 1];
    }

    /** Index of the largest value (the first one on ties, as torch.argmax). */
    public static int argmax(float[] v) {
        return argmax(v, 0, v.length);
    }

    public static int argmax(float[] v, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[offset + i] > v[offset + best]) best = i;
        return best;
    }
}
