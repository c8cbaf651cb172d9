package armor.pruner.armor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the requested block size {@code b} becomes the block size of one dimension of A or B.
 * <ul>
 *   <li>a dimension no larger than b is one block (A or B is then a full matrix);</li>
 *   <li>otherwise the largest divisor of the dimension that is at most b and a multiple of 4 (so that 2:4 groups
 *       never straddle two column blocks); every Llama/Qwen dimension is a multiple of 128, so b itself;</li>
 *   <li>if the dimension has no such divisor (it is not a multiple of 4), the largest divisor at most b.</li>
 * </ul>
 * For stories260K (dims 64, 32 and 172) and b = 128 this gives 64, 32 and 4: 172 = 4·43 has no divisor between
 * 5 and 128 that is a multiple of 4.
 *
 * <p>{@link #auto} chooses b for a model ({@code --block auto}, the default): the largest b ≤ {@value #AUTO_MAX}
 * whose A and B add at most {@link #AUTO_SHARE} (10 %) to the pruned projections' parameters. Why 10 %: it keeps
 * the paper's b = 128 on every Llama-2 shape (2.4–4.9 %) and on Llama-3.2-1B (9.3 %), where quality is best with
 * large blocks and the bytes stay small; it halves the block where 128 would cost far more (Qwen2.5-0.5B: 19.7 % at
 * 128, 9.8 % at 64); and it stops a tiny model from spending more on A and B than it saves by pruning
 * (stories260K: 90 % at 128). A 2:4 bf16 core reads 56 % of the dense bytes, so with 10 % on top an ARMOR model
 * still reads at most two thirds of the dense model's projection bytes. When no block meets the share (stories260K:
 * 10.2 % even at b = 4) the smallest block, 4, is taken.
 */
public final class BlockRule {
    /** The largest block {@link #auto} considers: the paper's b. */
    public static final int AUTO_MAX = 128;
    /** The most A and B may add to the pruned projections' parameters under {@link #auto}. */
    public static final double AUTO_SHARE = 0.10;

    private BlockRule() {}

    /**
     * What {@link #auto} chose.
     *
     * @param block  the requested b (the largest block any dimension gets, so it names the choice uniquely)
     * @param share  A and B's parameters over the pruned projections' dense parameters
     * @param blocks each distinct dimension → its block ({@link #blockFor}), in order of first appearance
     * @param withinShare false when even b = 4 exceeds {@link #AUTO_SHARE}
     */
    public record Choice(int block, double share, Map<Integer, Integer> blocks, boolean withinShare) {}

    /** {@code --block auto}: the largest b ≤ {@value #AUTO_MAX}, a multiple of 4, within {@link #AUTO_SHARE}. */
    public static Choice auto(List<Overhead.Shape> shapes) {
        if (shapes.isEmpty()) throw new IllegalArgumentException("no projections to choose a block size for");
        int chosen = 4;
        boolean within = false;
        for (int b = AUTO_MAX; b >= 4; b -= 4) {
            if (Overhead.fraction(shapes, b) <= AUTO_SHARE) {
                chosen = b;
                within = true;
                break;
            }
        }
        Map<Integer, Integer> blocks = new LinkedHashMap<>();
        for (Overhead.Shape s : shapes) {
            blocks.putIfAbsent(s.dOut(), blockFor(s.dOut(), chosen));
            blocks.putIfAbsent(s.dIn(), blockFor(s.dIn(), chosen));
        }
        // b = 124 gives the same blocks as 64 on power-of-two dimensions: report the block actually used
        int largest = blocks.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int canonical = largest % 4 == 0 ? largest : chosen; // b must stay a multiple of 4 (odd small dimensions)
        return new Choice(canonical, Overhead.fraction(shapes, canonical), blocks, within);
    }

    public static int blockFor(int dim, int requested) {
        if (requested < 1) throw new IllegalArgumentException("block size must be positive, got " + requested);
        if (dim <= requested) return dim;
        for (int d = requested; d >= 4; d--) if (dim % d == 0 && d % 4 == 0) return d;
        for (int d = requested; d >= 1; d--) if (dim % d == 0) return d;
        return 1;
    }
}
