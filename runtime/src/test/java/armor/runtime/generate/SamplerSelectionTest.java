package armor.runtime.generate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The sampler finds what top-k, top-p and min-p keep by partial selection; a full sort of the vocabulary (the
 * previous implementation, below) must keep the same tokens, so the same seed draws the same token.
 */
class SamplerSelectionTest {
    /** The full-sort sampler: sort every token, cut, draw over the kept ids in id order. */
    static int fullSort(float[] z, SamplingParams params, SplittableRandom random) {
        int n = z.length;
        double invT = 1.0 / params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = Math.exp((z[i] - max) * invT);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // descending probability (as float, as the sampler compares), ties by ascending id
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare((float) p[b], (float) p[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int keep = n;
        if (params.topK() > 0) keep = Math.min(keep, params.topK());
        if (params.topP() < 1) {
            double mass = 0;
            if (keep == n) for (double v : p) mass += v; // id order, as documented for top-p alone
            else for (int k = 0; k < keep; k++) mass += p[order[k]];
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
        boolean[] kept = new boolean[n];
        for (int k = 0; k < keep; k++) kept[order[k]] = true;
        double total = 0;
        for (int i = 0; i < n; i++) if (kept[i]) total += p[i];
        double r = random.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (!kept[i]) continue;
            last = i;
            r -= p[i];
            if (r < 0) return i;
        }
        return last;
    }

    @Test
    void partialSelectionKeepsWhatAFullSortKeeps() {
        SplittableRandom data = new SplittableRandom(7);
        int vocab = 5000;
        SamplingParams[] settings = {
                new SamplingParams(1f, 40, 1f, 0f, 0, 0, 1, 0),
                new SamplingParams(0.8f, 0, 0.9f, 0f, 0, 0, 1, 0),
                new SamplingParams(1.5f, 0, 0.99f, 0f, 0, 0, 1, 0),   // flat: the cut lies far past 256 candidates
                new SamplingParams(1f, 0, 1f, 0.05f, 0, 0, 1, 0),
                new SamplingParams(2f, 0, 1f, 0.001f, 0, 0, 1, 0),    // min-p keeping thousands
                new SamplingParams(0.7f, 50, 0.8f, 0.1f, 0, 0, 1, 0),
                new SamplingParams(1f, 4000, 0.95f, 0f, 0, 0, 1, 0),
        };
        int compared = 0;
        for (SamplingParams base : settings) {
            for (int trial = 0; trial < 20; trial++) {
                float[] z = new float[vocab];
                double scale = trial % 2 == 0 ? 1 : 8; // flat and peaked rows
                for (int i = 0; i < vocab; i++) z[i] = (float) (data.nextGaussian() * scale);
                if (trial % 5 == 0) for (int i = 0; i < vocab; i += 3) z[i] = z[0]; // many ties
                SamplingParams params = base.withSeed(1000 + trial);
                Sampler sampler = new Sampler(params, vocab, new int[0]);
                SplittableRandom reference = new SplittableRandom(params.seed());
                for (int draw = 0; draw < 5; draw++) {
                    assertEquals(fullSort(z, params, reference), sampler.sample(z), params + " trial " + trial);
                    compared++;
                }
            }
        }
        assertEquals(settings.length * 100, compared);
    }

    @Test
    void selectLargestMovesTheLargestToTheEnd() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(3000);
            int m = r.nextInt(n + 1);
            long[] a = r.longs(n).distinct().toArray();
            n = a.length;
            m = Math.min(m, n);
            long[] sorted = a.clone();
            Arrays.sort(sorted);
            Sampler.selectLargest(a, n, m);
            long[] top = Arrays.copyOfRange(a, n - m, n);
            Arrays.sort(top);
            assertArrayEquals(Arrays.copyOfRange(sorted, n - m, n), top, "n " + n + ", m " + m);
        }
    }
}
