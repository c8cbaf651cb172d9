package armor.runtime.generate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 2.5f, 0.2f, 2.0f, -1f, 0.7f};

    static SamplingParams params(float t, int topK, float topP, float minP) {
        return new SamplingParams(t, topK, topP, minP, 0, 0, 1, 42);
    }

    static int once(SamplingParams p, float[] logits) {
        return new Sampler(p, logits.length, new int[0]).sample(logits);
    }

    @Test
    void greedyAndDegenerateFiltersPickTheArgmax() {
        assertEquals(1, once(SamplingParams.GREEDY, LOGITS));
        assertEquals(1, once(params(1, 1, 1, 0), LOGITS));
        assertEquals(1, once(params(1, 0, 0.01f, 0), LOGITS));
        assertEquals(1, once(params(1, 0, 1, 1), LOGITS));
        assertEquals(0, once(SamplingParams.GREEDY, new float[] {3, 3, 1})); // ties: the first, as torch.argmax
    }

    /**
     * The documented order against a plain re-implementation of transformers' processors (repetition penalty,
     * temperature, top-k, top-p over what top-k kept, min-p) on random logits: the frequencies of one draw from
     * many seeds follow the reference distribution within 5σ, and no token outside its support comes out.
     */
    @Test
    void frequenciesFollowTransformersOrderOfProcessors() {
        Random rnd = new Random(7);
        int vocab = 12;
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float) (rnd.nextGaussian() * 1.5);
        int[] prompt = {2, 5, 5, 9};
        SamplingParams[] cases = {
                new SamplingParams(0.8f, 0, 1, 0, 0, 0, 1, 0),
                new SamplingParams(1.3f, 7, 0.8f, 0, 0, 0, 1, 0),
                new SamplingParams(1.0f, 0, 0.9f, 0.15f, 0, 0, 1.3f, 0),
                new SamplingParams(0.7f, 5, 0.95f, 0.05f, 0, 0, 0.8f, 0),
        };
        for (SamplingParams p : cases) {
            double[] expected = reference(logits, prompt, p);
            int n = 40_000;
            int[] counts = new int[vocab];
            for (int k = 0; k < n; k++) counts[new Sampler(p.withSeed(k), vocab, prompt).sample(logits)]++;
            for (int i = 0; i < vocab; i++) {
                if (expected[i] == 0) {
                    assertEquals(0, counts[i], p + ": token " + i + " is outside the support");
                    continue;
                }
                double sigma = Math.sqrt(expected[i] * (1 - expected[i]) / n);
                assertEquals(expected[i], counts[i] / (double) n, 5 * sigma + 1e-4, p + ": token " + i);
            }
        }
    }

    /** transformers' logits processors written out step by step (no ties in the random logits). */
    static double[] reference(float[] logits, int[] seen, SamplingParams p) {
        int n = logits.length;
        double[] z = new double[n];
        for (int i = 0; i < n; i++) z[i] = logits[i];
        boolean[] inSeq = new boolean[n];
        for (int t : seen) inSeq[t] = true;
        for (int i = 0; i < n; i++) {
            if (inSeq[i]) z[i] = z[i] > 0 ? z[i] / p.repetitionPenalty() : z[i] * p.repetitionPenalty();
        }
        double[] prob = softmax(z, p.temperature());
        Integer[] desc = new Integer[n];
        for (int i = 0; i < n; i++) desc[i] = i;
        Arrays.sort(desc, (a, b) -> Double.compare(prob[b], prob[a]));
        if (p.topK() > 0) for (int k = p.topK(); k < n; k++) prob[desc[k]] = 0;
        normalize(prob);
        if (p.topP() < 1) {
            double before = 0;
            for (int k = 0; k < n; k++) {
                double pk = prob[desc[k]];
                if (before >= p.topP()) prob[desc[k]] = 0;
                before += pk;
            }
        }
        normalize(prob);
        double top = prob[desc[0]];
        for (int i = 0; i < n; i++) if (prob[i] < p.minP() * top) prob[i] = 0;
        normalize(prob);
        return prob;
    }

    static double[] softmax(double[] z, double t) {
        double max = Arrays.stream(z).max().orElseThrow();
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) e[i] = Math.exp((z[i] - max) / t);
        normalize(e);
        return e;
    }

    static void normalize(double[] p) {
        double s = Arrays.stream(p).sum();
        for (int i = 0; i < p.length; i++) p[i] /= s;
    }

    @Test
    void topPIsOverWhatTopKKeptAndMinPComesAfterTopP() {
        // probabilities 0.4, 0.3, 0.2, 0.1
        float[] logits = {(float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.1)};
        // top-k 2 keeps 0.4 and 0.3; renormalized 0.571 already reaches top-p 0.55: token 0 alone
        // (top-p over the whole distribution would need 0.4 + 0.3 and keep token 1 too)
        for (int seed = 0; seed < 300; seed++) {
            assertEquals(0, once(new SamplingParams(1, 2, 0.55f, 0, 0, 0, 1, seed), logits));
        }
        // top-p 0.5 keeps tokens 0 and 1, then min-p 0.6 (floor 0.24) keeps both; min-p first and top-p over its
        // kept mass 0.7 would keep token 0 alone
        int ones = 0, n = 20_000;
        for (int seed = 0; seed < n; seed++) {
            int t = once(new SamplingParams(1, 0, 0.5f, 0.6f, 0, 0, 1, seed), logits);
            assertTrue(t == 0 || t == 1, "token " + t);
            if (t == 1) ones++;
        }
        double expected = 0.3 / 0.7, sigma = Math.sqrt(expected * (1 - expected) / n);
        assertEquals(expected, ones / (double) n, 5 * sigma);
    }

    @Test
    void sameSeedSameTokensOtherSeedOthers() {
        SamplingParams p = params(1, 0, 1, 0);
        Sampler a = new Sampler(p, 6, new int[0]), b = new Sampler(p, 6, new int[0]);
        Sampler c = new Sampler(p.withSeed(43), 6, new int[0]);
        int[] ta = new int[200], tb = new int[200], tc = new int[200];
        for (int i = 0; i < 200; i++) {
            ta[i] = a.sample(LOGITS);
            tb[i] = b.sample(LOGITS);
            tc[i] = c.sample(LOGITS);
        }
        assertArrayEquals(ta, tb);
        assertNotEquals(Arrays.toString(ta), Arrays.toString(tc));
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        // frequency 2, greedy: 1 (2.5), then 1 is at 0.5 < 3's 2.0 so 3, then 3 at 0.0 < token 0's 1.0 ...
        Sampler f = new Sampler(new SamplingParams(0, 0, 1, 0, 0, 2f, 1, 1), 6, new int[] {1, 1, 1});
        assertEquals(1, f.sample(LOGITS)); // the prompt's 1s do not count
        assertEquals(3, f.sample(LOGITS));
        assertEquals(0, f.sample(LOGITS));
        // presence 0.6 once per token however often: 1 (2.5) -> 1.9 < 3's 2.0
        Sampler pr = new Sampler(new SamplingParams(0, 0, 1, 0, 0.6f, 0, 1, 1), 6, new int[0]);
        assertEquals(1, pr.sample(LOGITS));
        assertEquals(3, pr.sample(LOGITS));
        assertEquals(1, pr.sample(LOGITS)); // both at 1.9 and 1.4 now
    }

    @Test
    void repetitionPenaltyAsInTransformersOverPromptAndGenerated() {
        float[] l = {1.0f, 2.0f, 0.5f, 1.5f};
        // token 1 (logit 2.0) in the prompt: 2.0 / 1.5 = 1.33 < 1.5 -> argmax moves to token 3
        assertEquals(3, new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0, 1.5f, 0), 4, new int[] {1}).sample(l));
        // generated tokens count too: 3 picked, then 3 at 1.0 and 1 at 1.33 -> 1
        Sampler s = new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0, 1.5f, 0), 4, new int[] {1});
        assertEquals(3, s.sample(l));
        assertEquals(1, s.sample(l));
        // negative logits are multiplied: token 0 at -1 seen -> -1.5, below token 1's -1.2
        float[] neg = {-1f, -1.2f};
        assertEquals(1, new Sampler(new SamplingParams(0, 0, 1, 0, 0, 0, 1.5f, 0), 2, new int[] {0}).sample(neg));
        assertEquals(0, new Sampler(SamplingParams.GREEDY, 2, new int[] {0}).sample(neg));
    }

    @Test
    void logprobIsLogSoftmaxWithSortedAlternatives() {
        TokenLogprob lp = Sampler.logprob(LOGITS, 3, 3);
        double z = 0;
        for (float v : LOGITS) z += Math.exp(v);
        assertEquals(LOGITS[3] - Math.log(z), lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {1, 3, 0}, lp.topTokens());
        assertEquals(LOGITS[1] - Math.log(z), lp.topLogprobs()[0], 1e-6);
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1, 0, 1, 0, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 0, 0, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 2, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -1, 1, 0, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, Float.NaN, 0, 1, 0));
    }
}
