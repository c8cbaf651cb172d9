package armor.runtime.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    static SamplingParams params(float temp, int topK, float topP, float minP, float rep, long seed) {
        return new SamplingParams(temp, topK, topP, minP, rep, seed, 10, List.of(), false);
    }

    static final float[] LOGITS = {1.0f, 2.0f, 0.5f, 1.5f};

    @Test
    void temperatureZeroIsArgmax() {
        Sampler s = new Sampler(params(0, 0, 1, 0, 1, 3));
        for (int i = 0; i < 20; i++) assertEquals(1, s.sample(LOGITS, 0, 4, new int[0], 0));
    }

    @Test
    void samplesFollowTheSoftmaxAtTheTemperature() {
        float temp = 0.7f;
        Sampler s = new Sampler(params(temp, 0, 1, 0, 1, 11));
        int n = 40000;
        int[] counts = new int[4];
        for (int i = 0; i < n; i++) counts[s.sample(LOGITS, 0, 4, new int[0], 0)]++;
        double z = 0;
        for (float l : LOGITS) z += Math.exp(l / temp);
        for (int i = 0; i < 4; i++) {
            double p = Math.exp(LOGITS[i] / temp) / z;
            double sd = Math.sqrt(n * p * (1 - p));
            assertEquals(n * p, counts[i], 5 * sd, "token " + i);
        }
    }

    @Test
    void sameSeedSameSequenceOtherSeedDifferent() {
        int[] a = new int[50], b = new int[50], c = new int[50];
        Sampler sa = new Sampler(params(1, 0, 1, 0, 1, 42)), sb = new Sampler(params(1, 0, 1, 0, 1, 42)),
                sc = new Sampler(params(1, 0, 1, 0, 1, 43));
        for (int i = 0; i < 50; i++) {
            a[i] = sa.sample(LOGITS, 0, 4, new int[0], 0);
            b[i] = sb.sample(LOGITS, 0, 4, new int[0], 0);
            c[i] = sc.sample(LOGITS, 0, 4, new int[0], 0);
        }
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void filtersRestrictTheCandidates() {
        // top-k 2: only tokens 1 and 3 ever come out
        Sampler k = new Sampler(params(1, 2, 1, 0, 1, 1));
        // top-p 0.4: p = [.17, .45, .10, .28]; token 1 alone covers 0.4 -> always 1
        Sampler p = new Sampler(params(1, 0, 0.4f, 0, 1, 1));
        // min-p 0.7: tokens below 0.7 × p(1) dropped: p(3)/p(1) = e^-0.5 = 0.61 -> only token 1
        Sampler mp = new Sampler(params(1, 0, 1, 0.7f, 1, 1));
        // min-p 0.6 keeps token 3 too
        Sampler mp2 = new Sampler(params(1, 0, 1, 0.6f, 1, 1));
        boolean saw3 = false;
        for (int i = 0; i < 500; i++) {
            int t = k.sample(LOGITS, 0, 4, new int[0], 0);
            assertTrue(t == 1 || t == 3, "top-k gave " + t);
            assertEquals(1, p.sample(LOGITS, 0, 4, new int[0], 0));
            assertEquals(1, mp.sample(LOGITS, 0, 4, new int[0], 0));
            int u = mp2.sample(LOGITS, 0, 4, new int[0], 0);
            assertTrue(u == 1 || u == 3);
            saw3 |= u == 3;
        }
        assertTrue(saw3);
    }

    @Test
    void repetitionPenaltyAsInTransformers() {
        // token 1 (logit 2.0) seen: 2.0 / 1.5 = 1.33 < 1.5 -> argmax moves to token 3
        Sampler s = new Sampler(params(0, 0, 1, 0, 1.5f, 0));
        assertEquals(3, s.sample(LOGITS, 0, 4, new int[]{1, 1}, 2));
        // negative logits are multiplied: token 0 at -1 seen -> -1.5, still below the others
        float[] l = {-1f, -1.2f};
        assertEquals(1, new Sampler(params(0, 0, 1, 0, 1.5f, 0)).sample(l, 0, 2, new int[]{0}, 1));
        assertEquals(0, new Sampler(params(0, 0, 1, 0, 1f, 0)).sample(l, 0, 2, new int[]{0}, 1));
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> params(-1, 0, 1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> params(1, 0, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> params(1, 0, 1, 2, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> params(1, -1, 1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> params(1, 0, 1, 0, 0, 0));
    }
}
