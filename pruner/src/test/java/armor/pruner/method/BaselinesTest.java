package armor.pruner.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.pruner.nowag.NoWagNormalization;
import armor.pruner.sparsity.Mask24;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BaselinesTest {

    /** Calibration inputs with correlated features of very different scales, as real activations have. */
    static float[] correlatedInputs(Random rnd, int tokens, int n) {
        float[] mix = new float[n * n];
        for (int i = 0; i < mix.length; i++) mix[i] = (float) rnd.nextGaussian() / (float) Math.sqrt(n);
        for (int i = 0; i < n; i++) mix[i * n + i] += 1f;
        float[] x = new float[tokens * n];
        double[] z = new double[n];
        for (int t = 0; t < tokens; t++) {
            for (int k = 0; k < n; k++) z[k] = rnd.nextGaussian() * (k % 5 == 0 ? 4 : 1);
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += z[k] * mix[k * n + j];
                x[t * n + j] = (float) s;
            }
        }
        return x;
    }

    static double reconstructionError(float[] w, float[] wHat, float[] x, int rows, int cols, int tokens) {
        double s = 0;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < rows; i++) {
                double d = 0;
                for (int j = 0; j < cols; j++) d += (w[i * cols + j] - wHat[i * cols + j]) * (double) x[t * cols + j];
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    static void assertValid24(PrunedWeight p) {
        for (int i = 0; i < p.rows(); i++) {
            for (int g = 0; g < p.cols() / 4; g++) {
                int kept = 0;
                for (int t = 0; t < 4; t++) {
                    if (p.mask().isKept(i, 4 * g + t)) kept++;
                    else assertEquals(0f, p.weight()[i * p.cols() + 4 * g + t]);
                }
                assertEquals(2, kept);
            }
        }
    }

    @Test
    void sparseGptBeatsWandaOnReconstructionError() {
        Random rnd = new Random(5);
        int rows = 32, cols = 64, tokens = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] x = correlatedInputs(rnd, tokens, cols);
        double[] gram = new double[cols * cols];
        float[] sumSq = new float[cols];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < cols; i++) {
                sumSq[i] += x[t * cols + i] * x[t * cols + i];
                for (int j = 0; j < cols; j++) gram[i * cols + j] += (double) x[t * cols + i] * x[t * cols + j];
            }
        }
        PrunedWeight sgpt = SparseGpt.prune(w, rows, cols, gram);
        PrunedWeight wanda = Wanda.prune(w, rows, cols, sumSq);
        assertValid24(sgpt);
        assertValid24(wanda);
        double eS = reconstructionError(w, sgpt.weight(), x, rows, cols, tokens);
        double eW = reconstructionError(w, wanda.weight(), x, rows, cols, tokens);
        assertTrue(eS < 0.9 * eW, "SparseGPT ‖(W−Ŵ)X‖ = " + eS + ", Wanda " + eW);
    }

    /** With H = I there is nothing to compensate: OBS reduces to keeping the two largest |w| of every group. */
    /** One magnitude 2:4: the pruner's method keeps exactly what the runtime's conversion keeps, ties included. */
    @Test
    void magnitudeMethodKeepsWhatTheRuntimeConversionKeeps() {
        Random rnd = new Random(3);
        int rows = 24, cols = 40;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = rnd.nextInt(4) * (rnd.nextBoolean() ? 0.5f : -0.5f);
        PrunedWeight p = Magnitude.prune(w, rows, cols);
        assertArrayEquals(armor.runtime.linear.Sparse24Core.byMagnitude(w, rows, cols).toDense(), p.weight());
    }

    @Test
    void sparseGptWithIdentityGramIsMagnitude() {
        Random rnd = new Random(6);
        int rows = 8, cols = 256; // two lazy blocks
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        double[] gram = new double[cols * cols];
        for (int j = 0; j < cols; j++) gram[j * cols + j] = 3.0;
        PrunedWeight s = SparseGpt.prune(w, rows, cols, gram);
        PrunedWeight m = Magnitude.prune(w, rows, cols);
        assertArrayEquals(m.mask().toBooleans(), s.mask().toBooleans());
        for (int i = 0; i < w.length; i++) assertEquals(m.weight()[i], s.weight()[i], 1e-6);
    }

    @Test
    void upperCholeskyOfInverseFactorsTheInverse() {
        Random rnd = new Random(7);
        int n = 12;
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] = rnd.nextGaussian();
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = i == j ? 1 : 0;
                for (int k = 0; k < n; k++) s += a[k * n + i] * a[k * n + j];
                h[i * n + j] = s;
            }
        }
        double[] u = DampedHessian.upperCholeskyOfInverse(h, n);
        // H · (Uᵀ U) = I
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    double inv = 0;
                    for (int l = 0; l < n; l++) inv += u[l * n + k] * u[l * n + j];
                    s += h[i * n + k] * inv;
                }
                assertEquals(i == j ? 1 : 0, s, 1e-8);
            }
            for (int j = 0; j < i; j++) assertEquals(0, u[i * n + j], "U is upper triangular");
        }
    }

    @Test
    void wandaAndMagnitudeKeepTheTwoLargestScores() {
        Random rnd = new Random(8);
        int rows = 6, cols = 16;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] sumSq = new float[cols];
        for (int j = 0; j < cols; j++) sumSq[j] = (float) Math.exp(2 * rnd.nextGaussian());
        PrunedWeight wanda = Wanda.prune(w, rows, cols, sumSq);
        PrunedWeight mag = Magnitude.prune(w, rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int g = j & ~3;
                double sw = Math.abs(w[i * cols + j]) * Math.sqrt(sumSq[j]);
                double sm = Math.abs(w[i * cols + j]);
                int largerW = 0, largerM = 0;
                for (int t = 0; t < 4; t++) {
                    if (Math.abs(w[i * cols + g + t]) * Math.sqrt(sumSq[g + t]) > sw) largerW++;
                    if (Math.abs(w[i * cols + g + t]) > sm) largerM++;
                }
                assertEquals(largerW < 2, wanda.mask().isKept(i, j), "Wanda at " + i + "," + j);
                assertEquals(largerM < 2, mag.mask().isKept(i, j), "magnitude at " + i + "," + j);
                if (wanda.mask().isKept(i, j)) assertEquals(w[i * cols + j], wanda.weight()[i * cols + j]);
            }
        }
        assertValid24(wanda);
        assertValid24(mag);
    }

    /** The spec's equivalent ranking: W̄² h ranks like Wanda's metric divided by the column norm, W² h / r_in². */
    @Test
    void noWagPRanksByWandaOverColumnNorm() {
        Random rnd = new Random(9);
        int rows = 10, cols = 20;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * (1 + i % 3));
        float[] h = new float[cols];
        for (int j = 0; j < cols; j++) h[j] = (float) Math.exp(rnd.nextGaussian());
        PrunedWeight p = NoWagP.prune(w, rows, cols, h);
        double[] colNorm = new double[cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) colNorm[j] += w[i * cols + j] * w[i * cols + j];
        float[] score = new float[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) score[i * cols + j] = (float) (w[i * cols + j] * w[i * cols + j] * h[j] / colNorm[j]);
        }
        assertArrayEquals(Mask24.keepLargest(score, rows, cols).toBooleans(), p.mask().toBooleans());
        for (int i = 0; i < w.length; i++) {
            assertTrue(p.weight()[i] == 0f || p.weight()[i] == w[i], "kept weights are not changed");
        }
    }

    @Test
    void normalizationRoundTripsAndGivesUnitRows() {
        Random rnd = new Random(10);
        int rows = 7, cols = 12;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * (i % 4 + 1);
        NoWagNormalization nrm = NoWagNormalization.of(w, rows, cols);
        float[] back = nrm.denormalize(nrm.normalized());
        for (int i = 0; i < w.length; i++) assertEquals(w[i], back[i], 1e-5 * (1 + Math.abs(w[i])));
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += nrm.normalized()[i * cols + j] * nrm.normalized()[i * cols + j];
            assertEquals(1.0, Math.sqrt(s), 1e-4);
        }
    }
}
