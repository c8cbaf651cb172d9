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
