package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a vector's lanes in one fixed order, whatever the JIT does.
 *
 * <p>{@code reduceLanes(ADD)} on floats is ordered differently by the interpreter (lane 0, 1, 2, ... in sequence)
 * and by C2's intrinsic (a tree), so the same call on the same data gives results that differ in the last bits
 * depending on whether the method was compiled yet — and that depends on timing. A pruning run would then write
 * different bytes each time. Here the lanes are folded pairwise (lane i + lane i+h for h = L/2, L/4, ..., 1)
 * with lane moves and element-wise adds, which are exact in every tier, so a sum depends on the data alone.
 */
public final class Lanes {
    private static final Folds F64 = new Folds(FloatVector.SPECIES_64);
    private static final Folds F128 = new Folds(FloatVector.SPECIES_128);
    private static final Folds F256 = new Folds(FloatVector.SPECIES_256);
    private static final Folds F512 = new Folds(FloatVector.SPECIES_512);

    private Lanes() {}

    /** The shuffles {@code i → i + h (mod L)} of one species, h = L/2 down to 1. */
    private static final class Folds {
        final VectorShuffle<Float>[] steps;

        @SuppressWarnings("unchecked")
        Folds(VectorSpecies<Float> species) {
            int n = Integer.numberOfTrailingZeros(species.length());
            steps = new VectorShuffle[n];
            for (int s = 0; s < n; s++) {
                int h = species.length() >> (s + 1);
                steps[s] = VectorShuffle.fromOp(species, i -> (i + h) % species.length());
            }
        }

        float sum(FloatVector v) {
            for (VectorShuffle<Float> s : steps) v = v.add(v.rearrange(s));
            return v.lane(0);
        }
    }

    /** The sum of {@code v}'s lanes, folded pairwise in a fixed order (see the class comment). */
    public static float sum(FloatVector v) {
        return switch (v.length()) {
            case 16 -> F512.sum(v);
            case 8 -> F256.sum(v);
            case 4 -> F128.sum(v);
            case 2 -> F64.sum(v);
            default -> {
                float s = 0; // other widths (none on x86/ARM today): plain lane order
                for (int i = 0; i < v.length(); i++) s += v.lane(i);
                yield s;
            }
        };
    }
}
