package armor.runtime.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one sequence's tokens from logits, in the order {@link SamplingParams} documents. One sampler per sequence:
 * it keeps the sequence's random stream and the counts the penalties need, and {@link #sample} records the token
 * it returns.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    /** Generated tokens per id (presence/frequency penalties), or null without those penalties. */
    private final int[] counts;
    /** Ids in the sequence so far, prompt included (repetition penalty), or null without it. */
    private final boolean[] seen;

    /**
     * @param vocab  the row length of the logits
     * @param prompt the prompt ids (the repetition penalty counts them as seen)
     */
    public Sampler(SamplingParams params, int vocab, int[] prompt) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.counts = params.presencePenalty() != 0 || params.frequencyPenalty() != 0 ? new int[vocab] : null;
        this.seen = params.repetitionPenalty() != 1 ? new boolean[vocab] : null;
        if (seen != null) for (int t : prompt) if (t >= 0 && t < vocab) seen[t] = true;
    }

    /** Picks the next token from a row of {@code vocab} logits (not modified) and records it. */
    public int sample(float[] logits) {
        float[] z = params.hasPenalties() ? penalized(logits) : logits;
        int token = params.isGreedy() ? argmax(z) : draw(z);
        if (counts != null && token < counts.length) counts[token]++;
        if (seen != null && token < seen.length) seen[token] = true;
        return token;
    }

    private float[] penalized(float[] logits) {
        float[] z = logits.clone();
        float rep = params.repetitionPenalty();
        if (seen != null) {
            for (int t = 0; t < seen.length; t++) {
                if (seen[t]) z[t] = z[t] > 0 ? z[t] / rep : z[t] * rep;
            }
        }
        if (counts != null) {
            for (int t = 0; t < counts.length; t++) {
                if (counts[t] > 0) z[t] -= params.presencePenalty() + params.frequencyPenalty() * counts[t];
            }
        }
        return z;
    }

    private int draw(float[] z) {
        int n = z.length;
        double invT = 1.0 / params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = Math.exp((z[i] - max) * invT);
        int keep = n;
        int[] order = null;
        boolean filtered = params.topK() > 0 || params.topP() < 1 || params.minP() > 0;
        if (filtered) {
            // Descending probability, ties by ascending id: one primitive sort of (probability bits, ~id) keys;
            // positive doubles order like their bits. Only the sort order matters here, not the draw below.
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) keys[i] = ((long) Float.floatToRawIntBits((float) p[i]) << 32) | (~i & 0xFFFFFFFFL);
            Arrays.sort(keys);
            order = new int[n];
            for (int k = 0; k < n; k++) order[k] = ~(int) keys[n - 1 - k];
            if (params.topK() > 0) keep = Math.min(keep, params.topK());
            if (params.topP() < 1) {
                double mass = 0;
                for (int k = 0; k < keep; k++) mass += p[order[k]];
                double cum = 0;
                int k = 0;
                while (k < keep) {
                    cum += p[order[k++]];
                    if (cum >= params.topP() * mass) break;
                }
                keep = k;
            }
            if (params.minP() > 0) {
                double floor = params.minP() * p[order[0]];
                int k = 1;
                while (k < keep && p[order[k]] >= floor) k++;
                keep = k;
            }
        }
        // The draw walks the kept tokens in id order, so it does not depend on how the kept set was found.
        boolean[] kept = null;
        if (filtered && keep < n) {
            kept = new boolean[n];
            for (int k = 0; k < keep; k++) kept[order[k]] = true;
        }
        double total = 0;
        for (int i = 0; i < n; i++) if (kept == null || kept[i]) total += p[i];
        double r = random.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (kept != null && !kept[i]) continue;
            last = i;
            r -= p[i];
            if (r < 0) return i;
        }
        return last; // rounding left r just above zero: the last kept token
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

    /**
     * The log-probability of {@code token} under the raw logits (log-softmax before penalties, temperature and
     * filters, as OpenAI and vLLM report it), and the {@code top} most likely tokens with theirs.
     */
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
