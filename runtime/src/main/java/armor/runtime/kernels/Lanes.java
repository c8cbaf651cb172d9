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
 *
 * <p>Each shuffle is its own {@code static final} field and each width its own straight-line method: C2 only
 * turns {@code rearrange} into one permute instruction when it sees the shuffle's exact class as a constant (from
 * an array or a loop it falls back to the boxed Java implementation, about 100× slower).
 */
public final class Lanes {
    private static final VectorSpecies<Float> V512 = FloatVector.SPECIES_512, V256 = FloatVector.SPECIES_256,
            V128 = FloatVector.SPECIES_128, V64 = FloatVector.SPECIES_64;
    private static final VectorShuffle<Float> R16_8 = rotate(V512, 8), R16_4 = rotate(V512, 4),
            R16_2 = rotate(V512, 2), R16_1 = rotate(V512, 1);
    private static final VectorShuffle<Float> R8_4 = rotate(V256, 4), R8_2 = rotate(V256, 2), R8_1 = rotate(V256, 1);
    private static final VectorShuffle<Float> R4_2 = rotate(V128, 2), R4_1 = rotate(V128, 1);
    private static final VectorShuffle<Float> R2_1 = rotate(V64, 1);

    private Lanes() {}

    /** The shuffle {@code i → i + h (mod L)}. */
    private static VectorShuffle<Float> rotate(VectorSpecies<Float> species, int h) {
        return VectorShuffle.fromOp(species, i -> (i + h) % species.length());
    }

    /** The sum of {@code v}'s lanes, folded pairwise in a fixed order (see the class comment). */
    public static float sum(FloatVector v) {
        return switch (v.length()) {
            case 16 -> sum16(v);
            case 8 -> sum8(v);
            case 4 -> sum4(v);
            case 2 -> v.add(v.rearrange(R2_1)).lane(0);
            default -> {
                float s = 0; // other widths (none on x86/ARM today): plain lane order
                for (int i = 0; i < v.length(); i++) s += v.lane(i);
                yield s;
            }
        };
    }

    private static float sum16(FloatVector v) {
        v = v.add(v.rearrange(R16_8));
        v = v.add(v.rearrange(R16_4));
        v = v.add(v.rearrange(R16_2));
        return v.add(v.rearrange(R16_1)).lane(0);
    }

    private static float sum8(FloatVector v) {
        v = v.add(v.rearrange(R8_4));
        v = v.add(v.rearrange(R8_2));
        return v.add(v.rearrange(R8_1)).lane(0);
    }

    private static float sum4(FloatVector v) {
        v = v.add(v.rearrange(R4_2));
        return v.add(v.rearrange(R4_1)).lane(0);
    }
}
