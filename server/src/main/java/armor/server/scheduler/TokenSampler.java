package armor.server.scheduler;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses one sequence's tokens from logits: penalties, temperature, top-k, min-p, top-p, then a draw from a
 * random stream seeded per sequence, so the same seed gives the same tokens whatever else shares the batch.
 */
public final class TokenSampler {
    private final SamplingOptions options;
    private final SplittableRandom random;
    private final int[] counts;

    public TokenSampler(SamplingOptions options, int vocabSize) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.counts = options.hasPenalties() ? new int[vocabSize] : null;
    }

    /** Picks the next token. {@code logits} is not modified. */
    public int sample(float[] logits) {
        float[] z = logits;
        if (counts != null) {
            z = logits.clone();
            for (int t = 0; t < z.length; t++) {
                if (counts[t] > 0) z[t] -= options.presencePenalty() + options.frequencyPenalty() * counts[t];
            }
        }
        int token = options.isGreedy() ? argmax(z) : draw(z);
        if (counts != null) counts[token]++;
        return token;
    }

    static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }

    private int draw(float[] z) {
        int n = z.length;
        float invT = 1f / options.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        // Candidates sorted by probability, descending: packed (probability bits, index) so one primitive sort does it.
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((z[i] - max) * invT);
            sum += p[i];
        }
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            float pi = (float) (p[i] / sum);
            order[i] = ((long) Float.floatToRawIntBits(pi) << 32) | i;
        }
        Arrays.sort(order); // ascending; positive floats order like their bits
        int keep = n;
        if (options.topK() > 0) keep = Math.min(keep, options.topK());
        double pMax = p[(int) order[n - 1]] / sum;
        if (options.minP() > 0f) {
            double floor = options.minP() * pMax;
            int k = 0;
            while (k < keep && p[(int) order[n - 1 - k]] / sum >= floor) k++;
            keep = Math.max(1, k);
        }
        if (options.topP() < 1f) {
            double kept = 0;
            for (int k = 0; k < keep; k++) kept += p[(int) order[n - 1 - k]];
            double cum = 0;
            int k = 0;
            while (k < keep) {
                cum += p[(int) order[n - 1 - k]];
                k++;
                if (cum >= options.topP() * kept) break;
            }
            keep = k;
        }
        double total = 0;
        for (int k = 0; k < keep; k++) total += p[(int) order[n - 1 - k]];
        double r = random.nextDouble() * total;
        double cum = 0;
        for (int k = 0; k < keep; k++) {
            int idx = (int) order[n - 1 - k];
            cum += p[idx];
            if (r < cum) return idx;
        }
        return (int) order[n - keep];
    }

    /** Log-softmax of the raw logits at {@code token}, and the {@code top} most likely tokens with theirs. */
    public static TokenLogprob logprob(float[] logits, int token, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        float logZ = (float) (max + Math.log(sum));
        int[] ids = new int[Math.max(0, Math.min(top, logits.length))];
        float[] lps = new float[ids.length];
        if (ids.length > 0) {
            // Insertion into a small sorted list: top is at most 20, the vocabulary is large.
            int filled = 0;
            for (int i = 0; i < logits.length; i++) {
                float v = logits[i];
                if (filled == ids.length && v <= logits[ids[filled - 1]]) continue;
                int pos = filled < ids.length ? filled++ : filled - 1;
                while (pos > 0 && logits[ids[pos - 1]] < v) {
                    ids[pos] = ids[pos - 1];
                    pos--;
                }
                ids[pos] = i;
            }
            for (int k = 0; k < ids.length; k++) lps[k] = logits[ids[k]] - logZ;
        }
        return new TokenLogprob(token, logits[token] - logZ, ids, lps);
    }
}
