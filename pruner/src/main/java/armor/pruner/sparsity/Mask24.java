package armor.pruner.sparsity;

import armor.runtime.linear.Sparse24Core;

/**
 * A strict 2:4 mask over a {@code rows × cols} weight: in every row, every aligned group of four consecutive
 * columns keeps exactly two entries. Stored as one pattern index (0..5) per group, so a mask that breaks the
 * 2:4 rule cannot be represented at all.
 */
public final class Mask24 {
    /** The six ways to keep two of four, in the order the spec ranks them (ties go to the first). */
    public static final int[][] PATTERNS = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};

    private final int rows;
    private final int cols;
    private final byte[] pattern;

    public Mask24(int rows, int cols) {
        if (cols % 4 != 0) {
            throw new IllegalArgumentException("2:4 needs the input dimension divisible by 4, got " + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.pattern = new byte[rows * (cols / 4)];
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Pattern index (0..5) of the group holding columns {@code 4*group .. 4*group+3} of {@code row}. */
    public int pattern(int row, int group) {
        return pattern[row * (cols / 4) + group];
    }

    public void setPattern(int row, int group, int p) {
        if (p < 0 || p > 5) throw new IllegalArgumentException("2:4 pattern index must be 0..5, got " + p);
        pattern[row * (cols / 4) + group] = (byte) p;
    }

    /** The two kept positions (0..3) of pattern {@code p}, as a bit set of 4 bits. */
    public static int keptBits(int p) {
        return (1 << PATTERNS[p][0]) | (1 << PATTERNS[p][1]);
    }

    public static int patternOf(int keptA, int keptB) {
        int lo = Math.min(keptA, keptB), hi = Math.max(keptA, keptB);
        for (int p = 0; p < 6; p++) if (PATTERNS[p][0] == lo && PATTERNS[p][1] == hi) return p;
        throw new IllegalArgumentException("not two distinct positions of a 2:4 group: " + keptA + ", " + keptB);
    }

    public boolean isKept(int row, int col) {
        return (keptBits(pattern(row, col >> 2)) & (1 << (col & 3))) != 0;
    }

    /** Zeroes every pruned entry of a row-major {@code rows × cols} matrix in place. */
    public void apply(float[] w) {
        int g4 = cols / 4;
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < g4; g++) {
                int bits = keptBits(pattern[r * g4 + g]);
                int o = r * cols + 4 * g;
                for (int t = 0; t < 4; t++) if ((bits & (1 << t)) == 0) w[o + t] = 0f;
            }
        }
    }

    /**
     * The mask that keeps, in every group, the two entries with the largest score (ties go to the lower column,
     * matching a stable descending sort).
     */
    public static Mask24 keepLargest(float[] score, int rows, int cols) {
        Mask24 m = new Mask24(rows, cols);
        int g4 = cols / 4;
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < g4; g++) m.pattern[r * g4 + g] = (byte) patternKeepingLargest(score, r * cols + 4 * g);
        }
        return m;
    }

    /**
     * The pattern that keeps the two largest of {@code s[o..o+3]} (ties go to the lower position): the runtime's
     * one selection rule, {@link Sparse24Core#keepLargestTwo}, so that {@code --method magnitude} and
     * {@code armor convert}'s magnitude 2:4 keep the same entries.
     */
    public static int patternKeepingLargest(float[] s, int o) {
        int nibble = Sparse24Core.keepLargestTwo(s, o);
        return patternOf(nibble & 3, nibble >>> 2);
    }

    /** The pattern indices, one byte per group, row-major (for saving). */
    public byte[] patternBytes() {
        return pattern.clone();
    }

    /** A mask from saved pattern bytes; every byte must be a pattern index 0..5. */
    public static Mask24 fromPatternBytes(byte[] bytes, int rows, int cols, String where) {
        Mask24 m = new Mask24(rows, cols);
        if (bytes.length != m.pattern.length) {
            throw new IllegalArgumentException(where + ": " + bytes.length + " mask bytes, expected " + m.pattern.length);
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] < 0 || bytes[i] > 5) {
                throw new IllegalArgumentException(where + ": mask byte " + i + " is " + bytes[i] + ", expected 0..5");
            }
        }
        System.arraycopy(bytes, 0, m.pattern, 0, bytes.length);
        return m;
    }

    /** One boolean per entry, true where kept. */
    public boolean[] toBooleans() {
        boolean[] out = new boolean[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[r * cols + c] = isKept(r, c);
        return out;
    }

}
