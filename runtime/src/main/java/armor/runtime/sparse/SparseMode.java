package armor.runtime.sparse;

import java.util.Locale;

/**
 * Whether dense projections whose zeros follow 2:4 run on the 2:4 kernels ({@code --sparse auto}, the default), or
 * every stored weight runs as stored, compressed-tensors bitmasks decompressed to dense ({@code --sparse off}).
 * armor's own packed 2:4 and ARMOR tensors always run sparse.
 */
public enum SparseMode {
    AUTO, OFF;

    /** {@code "auto"} or {@code "off"}; the error names what was given. */
    public static SparseMode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "off" -> OFF;
            default -> throw new IllegalArgumentException("--sparse is \"" + s + "\", expected auto or off");
        };
    }
}
