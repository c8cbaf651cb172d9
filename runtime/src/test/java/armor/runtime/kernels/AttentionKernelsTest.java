package armor.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionKernelsTest {
    /**
     * The register-held weighted sum against a double-precision reference and against the key-by-key {@link
     * AttentionKernels#axpy} it replaced (bit for bit), for head widths that take every path (eight, two and one vector
     * and the scalar tail), keys strided as in a KV cache, and offsets into the weights and the output.
     */
    @Test
    void weightedSumMatchesDoubleReferenceAndRepeatedAxpy() {
        Random rnd = new Random(3);
        for (int n : new int[] {1, 7, 8, 17, 48, 64, 72, 128, 131}) {
            for (int len : new int[] {1, 2, 9, 40}) {
                int stride = n + 5, vo = 3, wo = 2, yo = 4;
                float[] v = new float[vo + len * stride], w = new float[wo + len];
                for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat();
                float[] y = new float[yo + n + 3], byAxpy = new float[yo + n + 3];
                y[0] = 42f;
                y[yo + n] = -1f;
                byAxpy[0] = 42f;
                byAxpy[yo + n] = -1f;
                AttentionKernels.weightedSum(w, wo, len, v, vo, stride, y, yo, n);
                for (int t = 0; t < len; t++) AttentionKernels.axpy(w[wo + t], v, vo + t * stride, byAxpy, yo, n);
                assertArrayEquals(byAxpy, y, "n=" + n + " len=" + len);
                for (int d = 0; d < n; d++) {
                    double ref = 0;
                    for (int t = 0; t < len; t++) ref += (double) w[wo + t] * v[vo + t * stride + d];
                    assertEquals(ref, y[yo + d], 1e-5 * Math.max(1, Math.abs(ref)) * len, "n=" + n + " len=" + len + " d=" + d);
                }
                assertEquals(42f, y[0]);
                assertEquals(-1f, y[yo + n]);
            }
        }
    }
}
