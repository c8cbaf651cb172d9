package armor.pruner.armor;

import java.util.List;

/**
 * Extra parameters of ARMOR's A and B relative to the dense matrices they come from:
 * {@code Σ (d_out·b_out + d_in·b_in) / Σ d_out·d_in}, which is {@code b·(d_out + d_in)} per matrix when b divides
 * both dimensions.
 */
public final class Overhead {
    private Overhead() {}

    /** One pruned matrix: {@code dOut × dIn}. */
    public record Shape(int dOut, int dIn) {}

    public static double fraction(List<Shape> shapes, int block) {
        double extra = 0, dense = 0;
        for (Shape s : shapes) {
            extra += (double) s.dOut() * BlockRule.blockFor(s.dOut(), block)
                    + (double) s.dIn() * BlockRule.blockFor(s.dIn(), block);
            dense += (double) s.dOut() * s.dIn();
        }
        return extra / dense;
    }

    /** The seven projections of one decoder layer (q, k, v, o, gate, up, down). */
    public static List<Shape> decoderLayer(int hidden, int intermediate, int heads, int kvHeads, int headDim) {
        return List.of(new Shape(heads * headDim, hidden), new Shape(kvHeads * headDim, hidden),
                new Shape(kvHeads * headDim, hidden), new Shape(hidden, heads * headDim),
                new Shape(intermediate, hidden), new Shape(intermediate, hidden), new Shape(hidden, intermediate));
    }
}
