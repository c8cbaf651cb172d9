package armor.pruner.calib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import armor.runtime.model.DecoderLayer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ActivationStatisticsTest {
    @Test
    void sumsOfSquaresAndGramMatchBruteForce() {
        Random rnd = new Random(1);
        int n = 12;
        ActivationStatistics stats = new ActivationStatistics(1, 2, true);
        double[] sum = new double[n];
        double[] gram = new double[n * n];
        for (int call = 0; call < 3; call++) {
            int tokens = 5 + call;
            float[] x = new float[tokens * n];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (int t = 0; t < tokens; t++) {
                for (int i = 0; i < n; i++) {
                    sum[i] += x[t * n + i] * (double) x[t * n + i];
                    for (int j = 0; j < n; j++) gram[i * n + j] += x[t * n + i] * (double) x[t * n + j];
                }
            }
            // the decoder hands q, k and v the same array: it must be counted once
            stats.observe(1, DecoderLayer.Q, x, tokens);
            stats.observe(1, DecoderLayer.K, x, tokens);
            stats.observe(1, DecoderLayer.V, x, tokens);
            stats.observe(0, DecoderLayer.Q, x, tokens); // a layer not asked for
        }
        ActivationStatistics.Input in = stats.input(1, DecoderLayer.V);
        assertEquals(18, in.tokens());
        float[] s = in.sumOfSquares();
        double[] g = in.gram();
        for (int i = 0; i < n; i++) {
            assertEquals(sum[i], s[i], 1e-4 * sum[i]);
            for (int j = 0; j < n; j++) assertEquals(gram[i * n + j], g[i * n + j], 1e-9 * (1 + Math.abs(gram[i * n + j])));
        }
        assertNull(stats.input(0, DecoderLayer.Q));
        assertNull(stats.input(1, DecoderLayer.DOWN));
    }
}
