package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a vector's lanes in one fixed order, whatever the JIT does.
 *
 * <p>{@code reduceLanes(ADD)} on floats is ordered differently by the interpreter (lane 0, 1, 2, ... in sequence)
 * and by C2's intrinsic (a tree), so the same call on the same data gives results that differ in the last bits
 * depending on whether the method was compiled yet — and that depends on timing. A pruning run would then write
 * different bytes each time. Here a vector is folded in halves with element-wise adds (512 → 256 → 128 bits: lane
 * i plus lane i + L/2) and the last four lanes added one by one in index order, as scalars: operations that no tier
 * reorders, so a sum depends on the data alone.
 *
 * <p>The method is kept tiny on purpose. An earlier version (pairwise folds with a shuffle per width behind a
 * switch) compiled to a large stand-alone method that C2 then declined to inline into the kernels, so every vector
 * passed to it was boxed: dense bf16 decode ran 4–5× slower. Even tiny, it is declined in a kernel whose inlined
 * vector code has used up C2's node budget; kernels that reduce several accumulators therefore store them and call
 * {@link #sum(float[], int, int)}, which takes no vector. The kernels whose results pruning depends on (the
 * matrix-matrix products of the calibration pass, attention, the ARMOR optimizer) use it; the one-token decode
 * kernels, which pruning never runs, keep {@code reduceLanes(ADD)} ({@code Decoder.oneRowPasses()} counts the
 * passes that reach them; the pruner's {@code OneTokenKernelsTest} checks that a real prune runs none).
 */
public final class Lanes {
    private static final VectorSpecies<Float> HALF_512 = FloatVector.SPECIES_256, HALF_256 = FloatVector.SPECIES_128;

    private Lanes() {}

    /** The sum of {@code v}'s lanes: halves added down to four lanes, then those four in index order. */
    public static float sum(FloatVector v) {
        if (v.length() == 16)
            v = ((FloatVector) v.reinterpretShape(HALF_512, 0)).add((FloatVector) v.reinterpretShape(HALF_512, 1));
        if (v.length() == 8)
            v = ((FloatVector) v.reinterpretShape(HALF_256, 0)).add((FloatVector) v.reinterpretShape(HALF_256, 1));
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /**
     * The same sum of {@code count} lanes stored at {@code lanes[from ..]} (by {@code intoArray}), folding them in
     * place. For kernels that reduce several accumulators: a vector passed to a method that C2 does not inline is
     * boxed on the heap, and in a kernel whose inlined vector code has used up C2's node budget {@link #sum(FloatVector)}
     * is exactly such a method; an array costs a store and a few loads, whatever C2 decides
     * ({@code KernelInliningTest}).
     */
    public static float sum(float[] lanes, int from, int count) {
        int n = count;
        while (n > 4) {
            n >>= 1;
            for (int i = from; i < from + n; i++) lanes[i] += lanes[i + n];
        }
        float s = 0f;
        for (int i = from; i < from + n; i++) s += lanes[i];
        return s;
    }
}
