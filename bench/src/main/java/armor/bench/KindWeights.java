package armor.bench;

import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.WeightSource;

import java.util.List;

/**
 * A dense checkpoint seen as one of the benchmarked layer kinds — {@code dense}, {@code 2:4} (magnitude),
 * {@code armor} (random near-identity blocks, see {@link SparsifiedWeights}) and their {@code -int8} versions (the
 * same weights through {@link QuantizedWeights}, the view {@code armor quantize} writes, at its default group size).
 * Close it once the model has loaded: the layers hold their own repacked copies.
 */
public final class KindWeights implements AutoCloseable {
    /** Every kind the bench commands know, in table order. */
    public static final List<String> KINDS = List.of("dense", "2:4", "armor", "dense-int8", "2:4-int8", "armor-int8");

    private final WeightSource weights;
    private final SparsifiedWeights sparse;
    private final QuantizedWeights quantized;

    private KindWeights(WeightSource weights, SparsifiedWeights sparse, QuantizedWeights quantized) {
        this.weights = weights;
        this.sparse = sparse;
        this.quantized = quantized;
    }

    /** @param armorBlock block size of the ARMOR kinds' A and B */
    public static KindWeights of(String kind, WeightSource dense, int armorBlock) {
        if (!KINDS.contains(kind)) throw new IllegalArgumentException("kind " + kind + ", expected one of " + String.join(", ", KINDS));
        String sparsity = kind.replace("-int8", "");
        SparsifiedWeights sparse = switch (sparsity) {
            case "dense" -> null;
            case "2:4" -> new SparsifiedWeights(dense, 0);
            default -> new SparsifiedWeights(dense, armorBlock);
        };
        WeightSource base = sparse == null ? dense : sparse;
        QuantizedWeights q = kind.endsWith("-int8") ? new QuantizedWeights(base, 0, true) : null;
        return new KindWeights(q != null ? q : base, sparse, q);
    }

    public WeightSource weights() {
        return weights;
    }

    @Override
    public void close() {
        if (quantized != null) quantized.close();
        if (sparse != null) sparse.close();
    }
}
