package armor.pruner.recover;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DistillationLossTest {
    private static final jdk.incubator.vector.VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The polynomial exp against Math.exp in double, over the softmax's range and a little above it. */
    @Test
    void expWithinTwoUlpOfMathExp() {
        float[] x = new float[F.length()], y = new float[F.length()];
        double worst = 0;
        for (double v = -87; v <= 10; v += 0.001) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (v + i * 1e-4);
            Exponential.exp(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double ref = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - ref) / Math.ulp((float) ref));
            }
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        Exponential.exp(FloatVector.broadcast(F, -200f)).intoArray(y, 0);
        assertTrue(y[0] > 0 && y[0] < 1e-37, "far below the range: " + y[0]);
    }

    /** The KL and its gradient against a double-precision brute force on random logits (vocabulary not a multiple of the vector length). */
    @Test
    void klAndGradientMatchDoublePrecision() {
        int tokens = 3, vocab = 1001;
        Random rnd = new Random(7);
        float[] t = new float[tokens * vocab], s = new float[tokens * vocab], d = new float[tokens * vocab];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) (rnd.nextGaussian() * 4);
            s[i] = (float) (rnd.nextGaussian() * 4);
        }
        double kl = DistillationLoss.compute(t, s, d, tokens, vocab);
        double ref = 0;
        for (int r = 0; r < tokens; r++) {
            double[] p = softmax(t, r * vocab, vocab), q = softmax(s, r * vocab, vocab);
            for (int i = 0; i < vocab; i++) {
                ref += p[i] * (Math.log(p[i]) - Math.log(q[i])) / tokens;
                assertEquals((q[i] - p[i]) / tokens, d[r * vocab + i], 1e-6, "gradient at " + r + "," + i);
            }
        }
        assertEquals(ref, kl, 1e-5 * Math.max(1, ref));
    }

    private static double[] softmax(float[] x, int o, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[o + i]);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp(x[o + i] - max);
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }
}
