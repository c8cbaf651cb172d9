package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two per-head vector kernels of attention, shared by the runtime's decoder and recovery training: a query·key
 * dot product and the attention-weighted sum of values. 256-bit vectors: head dimensions are 64–128, where wider
 * vectors gain nothing.
 */
public final class AttentionKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    private AttentionKernels() {}

    /** {@code a[ao ..] · b[bo ..]} over {@code n} elements (a head's query and key). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = n - n % F.length();
        FloatVector acc = FloatVector.zero(F);
        int d = 0;
        for (; d < bound; d += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + d).fma(FloatVector.fromArray(F, b, bo + d), acc);
        }
        float s = Lanes.sum(acc);
        for (; d < n; d++) s += a[ao + d] * b[bo + d];
        return s;
    }

    /**
     * {@code y[yo + d] = Σ_{t < len} w[wo + t] · v[vo + t·stride + d]} for {@code d < n}: a head's attention-weighted sum of
     * values. The sums stay in registers across the keys, eight vectors at a time (a 64-wide head in one pass), so each
     * key costs a broadcast and one load and FMA per vector; {@link #axpy} once per key instead loaded and stored the
     * whole output row for every key, and was bound by those stores. Each output is the same FMA chain over t in order
     * as repeated {@code axpy} calls on a zeroed y, so the results are bit for bit the same.
     */
    public static void weightedSum(float[] w, int wo, int len, float[] v, int vo, int stride, float[] y, int yo, int n) {
        int L = F.length(), d = 0;
        for (; d + 8 * L <= n; d += 8 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
            for (int t = 0; t < len; t++) {
                FloatVector b = FloatVector.broadcast(F, w[wo + t]);
                int o = vo + t * stride + d;
                a0 = FloatVector.fromArray(F, v, o).fma(b, a0);
                a1 = FloatVector.fromArray(F, v, o + L).fma(b, a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * L).fma(b, a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * L).fma(b, a3);
                a4 = FloatVector.fromArray(F, v, o + 4 * L).fma(b, a4);
                a5 = FloatVector.fromArray(F, v, o + 5 * L).fma(b, a5);
                a6 = FloatVector.fromArray(F, v, o + 6 * L).fma(b, a6);
                a7 = FloatVector.fromArray(F, v, o + 7 * L).fma(b, a7);
            }
            a0.intoArray(y, yo + d);
            a1.intoArray(y, yo + d + L);
            a2.intoArray(y, yo + d + 2 * L);
            a3.intoArray(y, yo + d + 3 * L);
            a4.intoArray(y, yo + d + 4 * L);
            a5.intoArray(y, yo + d + 5 * L);
            a6.intoArray(y, yo + d + 6 * L);
            a7.intoArray(y, yo + d + 7 * L);
        }
        for (; d + 2 * L <= n; d += 2 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
            for (int t = 0; t < len; t++) {
                FloatVector b = FloatVector.broadcast(F, w[wo + t]);
                int o = vo + t * stride + d;
                a0 = FloatVector.fromArray(F, v, o).fma(b, a0);
                a1 = FloatVector.fromArray(F, v, o + L).fma(b, a1);
            }
            a0.intoArray(y, yo + d);
            a1.intoArray(y, yo + d + L);
        }
        for (; d + L <= n; d += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int t = 0; t < len; t++) a0 = FloatVector.fromArray(F, v, vo + t * stride + d).fma(FloatVector.broadcast(F, w[wo + t]), a0);
            a0.intoArray(y, yo + d);
        }
        for (; d < n; d++) {
            float s = 0;
            for (int t = 0; t < len; t++) s += w[wo + t] * v[vo + t * stride + d];
            y[yo + d] = s;
        }
    }

    /** {@code y[yo ..] += alpha * x[xo ..]} over {@code n} elements (attention-weighted values). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int bound = n - n % F.length();
        FloatVector a = FloatVector.broadcast(F, alpha);
        int d = 0;
        for (; d < bound; d += F.length()) {
            FloatVector.fromArray(F, x, xo + d).fma(a, FloatVector.fromArray(F, y, yo + d)).intoArray(y, yo + d);
        }
        for (; d < n; d++) y[yo + d] += alpha * x[xo + d];
    }

}
