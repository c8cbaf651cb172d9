package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * Sums of a vector's lanes in one fixed order, whatever the JIT does.
 *
 * <p>{@code reduceLanes(ADD)} on floats is ordered differently by the interpreter (lane 0, 1, 2, ... in sequence)
 * and by C2's intrinsic (a tree), so the same call on the same data gives results that differ in the last bits
 * depending on whether the method was compiled yet — and that depends on timing. A pruning run would then write
 * different bytes each time. Here the lanes are added one by one in index order, as scalars, which no tier reorders.
 *
 * <p>The method is kept tiny on purpose. An earlier version (pairwise folds with a shuffle per width behind a
 * switch) compiled to a large stand-alone method that C2 then declined to inline into the kernels, so every vector
 * passed to it was boxed: dense bf16 decode ran 4–5× slower. The kernels whose results pruning depends on (the
 * matrix-matrix products of the calibration pass, attention, the ARMOR optimizer) use it; the one-token decode
 * kernels, which pruning never runs, keep {@code reduceLanes(ADD)}.
 */
public final class Lanes {
    private Lanes() {}

    /** The sum of {@code v}'s lanes, lane 0 first, added one by one. */
    public static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
