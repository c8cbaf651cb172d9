package armor.server.scheduler;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TokenSamplerTest {
    static final float[] LOGITS = {1.0f, 2.5f, 0.2f, 2.0f, -1f, 0.7f};

    static SamplingOptions opts(float t, float topP, int topK, float minP) {
        return new SamplingOptions(t, topP, topK, minP, 0f, 0f, 42L);
    }

    @Test
    void greedyAndDegenerateFiltersPickTheArgmax() {
        assertEquals(1, new TokenSampler(SamplingOptions.greedy(), 6).sample(LOGITS));
        assertEquals(1, new TokenSampler(opts(1f, 1f, 1, 0f), 6).sample(LOGITS));
        assertEquals(1, new TokenSampler(opts(1f, 0.01f, 0, 0f), 6).sample(LOGITS));
        assertEquals(1, new TokenSampler(opts(1f, 1f, 0, 1f), 6).sample(LOGITS));
    }

    @Test
    void frequenciesFollowTheTemperedSoftmax() {
        float t = 0.8f;
        double[] p = new double[LOGITS.length];
        double s = 0;
        for (int i = 0; i < p.length; i++) s += p[i] = Math.exp(LOGITS[i] / t);
        TokenSampler sampler = new TokenSampler(opts(t, 1f, 0, 0f), 6);
        int n = 60_000;
        int[] counts = new int[6];
        for (int k = 0; k < n; k++) counts[sampler.sample(LOGITS)]++;
        for (int i = 0; i < p.length; i++) {
            double expected = p[i] / s;
            double sigma = Math.sqrt(expected * (1 - expected) / n);
            assertEquals(expected, counts[i] / (double) n, 5 * sigma + 1e-4, "token " + i);
        }
    }

    @Test
    void topKAndTopPRestrictTheSupport() {
        TokenSampler k2 = new TokenSampler(opts(1f, 1f, 2, 0f), 6);
        for (int i = 0; i < 2000; i++) {
            int tok = k2.sample(LOGITS);
            assertTrue(tok == 1 || tok == 3, "top-2 are tokens 1 and 3, got " + tok);
        }
        // Probabilities at T=1: token 1 ~0.44, token 3 ~0.27: top_p 0.6 needs both, never a third.
        TokenSampler p6 = new TokenSampler(opts(1f, 0.6f, 0, 0f), 6);
        boolean saw3 = false;
        for (int i = 0; i < 2000; i++) {
            int tok = p6.sample(LOGITS);
            assertTrue(tok == 1 || tok == 3, "top-p 0.6 keeps tokens 1 and 3, got " + tok);
            saw3 |= tok == 3;
        }
        assertTrue(saw3);
    }

    @Test
    void sameSeedSameTokens() {
        TokenSampler a = new TokenSampler(opts(1f, 1f, 0, 0f), 6), b = new TokenSampler(opts(1f, 1f, 0, 0f), 6);
        for (int i = 0; i < 200; i++) assertEquals(a.sample(LOGITS), b.sample(LOGITS));
    }

    @Test
    void frequencyPenaltyDiscouragesRepeats() {
        TokenSampler s = new TokenSampler(new SamplingOptions(0f, 1f, 0, 0f, 0f, 2f, 1L), 6);
        // Greedy: 1 (2.5), then 1 has 0.5 < 3's 2.0 so 3, then 3 has 0.0 < 1.0 of 0 ... each pick penalized by 2.
        assertEquals(1, s.sample(LOGITS));
        assertEquals(3, s.sample(LOGITS));
        assertEquals(0, s.sample(LOGITS));
    }

    @Test
    void logprobIsLogSoftmaxWithSortedAlternatives() {
        TokenLogprob lp = TokenSampler.logprob(LOGITS, 3, 3);
        double z = 0;
        for (float v : LOGITS) z += Math.exp(v);
        assertEquals(LOGITS[3] - Math.log(z), lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {1, 3, 0}, lp.topTokens());
        assertEquals(LOGITS[1] - Math.log(z), lp.topLogprobs()[0], 1e-6);
    }
}
