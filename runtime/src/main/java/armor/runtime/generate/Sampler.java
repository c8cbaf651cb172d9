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

    /** Candidates sorted first when top-p or min-p must find their cut without a top-k bound; grows by 4x. */
    static final int FIRST_CANDIDATES = 256;

    // Per-sequence buffers of the filtered draw (vocab-sized, made on first use): no allocation per token.
    private double[] probs;
    private long[] keys;
    private int[] keptIds;

    private int draw(float[] z) {
        int n = z.length;
        double invT = 1.0 / params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        if (probs == null || probs.length != n) probs = new double[n];
        double[] p = probs;
        for (int i = 0; i < n; i++) p[i] = Math.exp((z[i] - max) * invT);
        boolean filtered = params.topK() > 0 || params.topP() < 1 || params.minP() > 0;
        int keep = filtered ? keepFiltered(p) : n;
        if (keep >= n) return drawFrom(p, null, n);
        // The kept ids are keys[n - keep .. n); the draw walks them in id order, as over the whole vocabulary.
        if (keptIds == null || keptIds.length < keep) keptIds = new int[Math.max(keep, FIRST_CANDIDATES)];
        for (int k = 0; k < keep; k++) keptIds[k] = ~(int) keys[n - 1 - k];
        Arrays.sort(keptIds, 0, keep);
        return drawFrom(p, keptIds, keep);
    }

    /**
     * How many of the most likely tokens top-k, top-p and min-p keep, found by partial selection: only the
     * candidates that can matter are sorted (top-k of them, or a growing prefix until the top-p mass and the min-p
     * floor are decided), not the whole vocabulary. On return {@code keys[n - keep .. n)} hold the kept tokens.
     * The order is descending probability, ties by ascending id: keys are (probability bits, ~id), and positive
     * doubles rounded to float order like their bits.
     */
    private int keepFiltered(double[] p) {
        int n = p.length;
        if (keys == null || keys.length != n) keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = ((long) Float.floatToRawIntBits((float) p[i]) << 32) | (~i & 0xFFFFFFFFL);
        int limit = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        // top-p's mass: over what top-k kept, else over the whole vocabulary (summed in id order).
        double mass = 0;
        if (limit == n) for (double v : p) mass += v;
        int m = params.topK() > 0 ? limit : Math.min(n, FIRST_CANDIDATES);
        while (true) {
            selectLargest(keys, n, m);
            Arrays.sort(keys, n - m, n); // ascending: the most likely token is last
            if (limit < n && mass == 0) for (int k = 0; k < limit; k++) mass += p[~(int) keys[n - 1 - k]];
            int keep = limit;
            boolean decided = true;
            if (params.topP() < 1) {
                double cum = 0;
                int k = 0;
                while (k < Math.min(keep, m)) {
                    cum += p[~(int) keys[n - 1 - k++]];
                    if (cum >= params.topP() * mass) break;
                }
                if (cum < params.topP() * mass && k < keep) decided = false; // the cut lies beyond the candidates
                else keep = k;
            }
            if (decided && params.minP() > 0) {
                double floor = params.minP() * p[~(int) keys[n - 1]];
                int k = 1;
                while (k < Math.min(keep, m) && p[~(int) keys[n - 1 - k]] >= floor) k++;
                if (k == m && k < keep) decided = false;
                else keep = k;
            }
            if (decided || m == n) return keep;
            m = (int) Math.min(n, 4L * m);
        }
    }

    /**
     * Moves the {@code m} largest of {@code a[0..n)} (distinct values) into {@code a[n - m .. n)}, in no order:
     * quickselect, linear on average.
     */
    static void selectLargest(long[] a, int n, int m) {
        if (m <= 0 || m >= n) return;
        int target = n - m; // a[target] must end as the m-th largest, everything after it larger
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long x = a[lo], y = a[mid], w = a[hi];
            long pivot = x < y ? (y < w ? y : Math.max(x, w)) : (x < w ? x : Math.max(y, w)); // median of three
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    long t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return;
        }
    }

    /** One draw over {@code ids[0..count)} (null: every id), walked in ascending id order. */
    private int drawFrom(double[] p, int[] ids, int count) {
        double total = 0;
        for (int k = 0; k < count; k++) total += p[ids == null ? k : ids[k]];
        double r = random.nextDouble() * total;
        int last = -1;
        for (int k = 0; k < count; k++) {
            int i = ids == null ? k : ids[k];
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
