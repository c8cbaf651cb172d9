package armor.runtime.linear;

import armor.runtime.quant.GptqTensors;
import armor.runtime.safetensors.WeightSource;

import java.util.List;

/**
 * Where a projection's weight values sit, recognised from the names of its checkpoint tensors
 * (docs/checkpoint-format.md): a dense {@code P.weight} (or its 4-bit forms, {@code P.weight_packed} or GPTQ's
 * {@code P.qweight}); a packed 2:4 core {@code P.sparse_values} +
 * {@code P.sparse_meta}; or that core between ARMOR's block-diagonal {@code P.armor_a} and {@code P.armor_b}.
 * One column of {@link WeightFormat}.
 */
public enum Structure {
    DENSE("dense", ".weight", List.of(".weight")),
    TWO_FOUR("2:4", SparseLinearLoader.VALUES, List.of(SparseLinearLoader.VALUES, SparseLinearLoader.META)),
    ARMOR("armor", SparseLinearLoader.VALUES, List.of(SparseLinearLoader.VALUES, SparseLinearLoader.META,
            SparseLinearLoader.ARMOR_A, SparseLinearLoader.ARMOR_B));

    private final String kind;
    private final String mainSuffix;
    private final List<String> suffixes;

    Structure(String kind, String mainSuffix, List<String> suffixes) {
        this.kind = kind;
        this.mainSuffix = mainSuffix;
        this.suffixes = suffixes;
    }

    /** The structure's part of a layer kind's name: "dense", "2:4", "armor". */
    public String kind() {
        return kind;
    }

    /**
     * Suffix of the tensor whose dtype says the element type: {@code .weight} or {@code .sparse_values} (with
     * {@link Element#PACKED_SUFFIX} for packed 4-bit codes).
     */
    public String mainSuffix() {
        return mainSuffix;
    }

    /** Suffixes of every tensor the structure stores per projection (scales and bias not included). */
    public List<String> suffixes() {
        return suffixes;
    }

    /**
     * The structure of projection {@code prefix} from the tensors present, or null when it has none of them. Any
     * sparse tensor makes it sparse and any ARMOR factor makes it ARMOR, so that a checkpoint missing the rest is
     * refused by that structure's loader with the missing tensor's name, not read as another structure.
     */
    public static Structure of(WeightSource weights, String prefix) {
        if (weights.has(prefix + SparseLinearLoader.ARMOR_A) || weights.has(prefix + SparseLinearLoader.ARMOR_B)) return ARMOR;
        if (weights.has(prefix + SparseLinearLoader.VALUES) || weights.has(prefix + SparseLinearLoader.META)
                || weights.has(prefix + SparseLinearLoader.VALUES + Element.PACKED_SUFFIX)) return TWO_FOUR;
        return weights.has(prefix + ".weight") || weights.has(prefix + ".weight" + Element.PACKED_SUFFIX)
                || GptqTensors.isGptq(weights, prefix) ? DENSE : null;
    }

    /** Stored weight values per {@code out × in} matrix: all of them, or the kept half of a 2:4 core. */
    long values(int out, int in) {
        return this == DENSE ? (long) out * in : (long) out * in / 2;
    }

    /** Bytes of 2:4 positions: 4 bits a group of four (none for dense weights). */
    long metaBytes(int out, int in) {
        return this == DENSE ? 0 : (long) out * (in / 4) / 2;
    }
}
