package armor.pruner.recover;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x on the Vector API for the softmaxes of recovery training (the distillation loss over the vocabulary, attention
 * over a sequence). The Vector API's own {@code EXP} differs in the last bit between the interpreter and compiled
 * code, and training must write the same bytes on every run.
 */
final class Exponential {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Exponential() {}

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    /** 1.5 · 2²³: adding it rounds a float below 2²² in magnitude to an integer (ties to even). */
    private static final float ROUND = 12582912f;

    /**
     * e^x, lane by lane, within 2 ulp for x ≤ 0 (the softmax's range; below −87.3 it returns e^−87.3 ≈ 1e−38, not 0):
     * x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor polynomial to r⁷ (truncation below 5e−9 relative), times
     * 2ⁿ built in the exponent bits. Only adds, multiplies and fused multiply-adds, which IEEE 754 defines exactly: the
     * same bits in the interpreter and in compiled code, on every machine with this vector width.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f);
        FloatVector n = x.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector poly = r.fma(1f / 5040, 1f / 720);
        poly = poly.fma(r, FloatVector.broadcast(F, 1f / 120));
        poly = poly.fma(r, FloatVector.broadcast(F, 1f / 24));
        poly = poly.fma(r, FloatVector.broadcast(F, 1f / 6));
        poly = poly.fma(r, FloatVector.broadcast(F, 0.5f));
        poly = poly.fma(r, FloatVector.broadcast(F, 1f));
        poly = poly.fma(r, FloatVector.broadcast(F, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return poly.mul(bits.reinterpretAsFloats());
    }

}
