package armor.bench;

import armor.runtime.linear.Element;
import armor.runtime.linear.WeightFormat;
import armor.runtime.quant.Int4Weights;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;

import java.util.List;

/**
 * A dense checkpoint seen as one of the benchmarked layer kinds — {@code dense}, {@code 2:4} (magnitude),
 * {@code armor} (random near-identity blocks, see {@link SparsifiedWeights}) and their {@code -int8} versions (the
 * same weights through {@link QuantizedWeights}, the view {@code armor quantize} writes, at its default group size),
 * and {@code dense-int4}, {@code 2:4-int4} (projections through {@link Int4Weights}, the view of {@code armor quantize
 * --bits 4}, symmetric with groups of 128; embedding and head int8 as in the int8 kinds, where {@code quantize --bits 4}
 * keeps them in the model dtype, so that the kinds differ only in their projections, as llama.cpp's Q4_0 quantizes
 * its embedding too).
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
        // the view makes the tensors of the row's structure (a dense kind's are the checkpoint's own)
        SparsifiedWeights sparse = new SparsifiedWeights(dense, format.structure(), armorBlock);
        WeightSource base = sparse;
        // int4 projections hide their float weights, so the int8 view over them quantizes only the embedding and head
        if (format.element() == Element.INT4) base = new Int4Weights(base, 0, true);
        QuantizedWeights q = format.element().scaled() ? new QuantizedWeights(base, 0, true) : null;
        return new KindWeights(q != null ? q : base, sparse, q);
    }

    public WeightSource weights() {
        return weights;
    }

    @Override
    public void close() {
        if (quantized != null) quantized.close();
        sparse.close();
    }
}
