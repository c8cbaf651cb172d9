package armor.runtime.eval;

import armor.runtime.model.Model;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PerplexityTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    /** Brute force: every prefix of the window scored from its own full-sequence logits, summed in double. */
    static double bruteForceNll(Model m, int[] window) {
        int vocab = m.config().vocabSize();
        float[] logits = m.logits(window);
        double nll = 0;
        for (int t = 0; t + 1 < window.length; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[t * vocab + i]);
            for (int i = 0; i < vocab; i++) sum += Math.exp(logits[t * vocab + i] - max);
            nll += Math.log(sum) + max - logits[t * vocab + window[t + 1]];
        }
        return nll;
    }

    @Test
    void windowsAreIndependentChunkedAndTheLastPartialOneIsDropped() {
        try (Model m = Model.load(SHARED.resolve("models/stories260K-hf"))) {
            int seq = 300; // > the 256-token chunk: the second chunk must attend to the first
            int[] stream = new int[2 * seq + 77];
            for (int i = 0; i < stream.length; i++) stream[i] = (int) ((i * 2654435761L) % 500) + 3;
            stream[0] = 1;
            Perplexity.Result r = Perplexity.compute(m, stream, seq, 0, 2, null);
            int[] w0 = java.util.Arrays.copyOfRange(stream, 0, seq), w1 = java.util.Arrays.copyOfRange(stream, seq, 2 * seq);
            double expected = (bruteForceNll(m, w0) + bruteForceNll(m, w1)) / (2 * (seq - 1));
            assertEquals(2 * (seq - 1), r.scoredTokens());
            assertEquals(2, r.windows());
            assertEquals(expected, r.meanNll(), 1e-5);
            assertEquals(Math.exp(expected), r.perplexity(), 1e-5 * Math.exp(expected));
            Perplexity.Result second = Perplexity.compute(m, stream, seq, 1, 2, null);
            assertEquals(bruteForceNll(m, w1) / (seq - 1), second.meanNll(), 1e-5);
            assertThrows(IllegalArgumentException.class, () -> Perplexity.compute(m, stream, seq, 0, 3, null));
            assertThrows(IllegalArgumentException.class, () -> Perplexity.compute(m, stream, 513, 0, 1, null));
        }
    }
}
