package armor.bench;

import armor.runtime.linear.Element;
import armor.runtime.linear.WeightFormat;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;

import java.util.List;

/**
 * A dense checkpoint seen as one of the benchmarked layer kinds — {@code dense}, {@code 2:4} (magnitude),
 * {@code armor} (random near-identity blocks, see {@link SparsifiedWeights}) and their {@code -int8} versions (the
 * same weights through {@link QuantizedWeights}, the view {@code armor quantize} writes, at its default group size).
 * Close it once the model has loaded: the layers hold their own repacked copies.
 */
public final class KindWeights implements AutoCloseable {
    /** Every kind the bench commands know, in the order of the {@link WeightFormat} table. */
    public static final List<String> KINDS = WeightFormat.kinds();

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
        // the structure and whether it is int8 are all this needs of the row; BF16 only names a float row
        WeightFormat format = WeightFormat.forKind(kind, DType.BF16);
        SparsifiedWeights sparse = switch (format.structure()) {
            case DENSE -> null;
            case TWO_FOUR -> new SparsifiedWeights(dense, 0);
            case ARMOR -> new SparsifiedWeights(dense, armorBlock);
        };
        WeightSource base = sparse == null ? dense : sparse;
        QuantizedWeights q = format.element() == Element.INT8 ? new QuantizedWeights(base, 0, true) : null;
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
