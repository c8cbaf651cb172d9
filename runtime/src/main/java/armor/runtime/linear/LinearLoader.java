package armor.runtime.linear;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.quant.GptqTensors;
import armor.runtime.quant.Int4Tensors;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

/**
 * The one place where a projection's {@link Linear} is made from checkpoint tensors: the {@link WeightFormat} table
 * recognises the projection's format from its tensors and that row's loader reads it, with {@code prefix.bias} when
 * present. The dense loaders live here ({@code prefix.weight}, float or int8 with {@code prefix.weight_scale}); the
 * sparse ones, keyed on their own tensors, in {@link SparseLinearLoader}.
 */
public final class LinearLoader {
    private LinearLoader() {}

    /**
     * @param prefix e.g. {@code "model.layers.3.mlp.down_proj"}
     * @param in     expected input features
     * @param out    expected output features
     */
    public static Linear load(WeightSource weights, String prefix, int in, int out) {
        Structure structure = Structure.of(weights, prefix);
        if (structure == null) throw new CheckpointException(weights.origin() + ": missing tensor " + prefix + ".weight");
        float[] bias = bias(weights, prefix, out);
        WeightFormat format = WeightFormat.recognise(weights, prefix);
        // no row (main tensor missing, or a dtype no format stores): the structure's float loader names what is wrong
        if (format == null) format = WeightFormat.of(structure, Element.F32);
        return format.load(weights, prefix, in, out, bias);
    }

    /** A float {@code prefix.weight} ({@link WeightFormat#DENSE_BF16} and its f16, f32 rows). */
    static Linear dense(WeightSource weights, String prefix, int in, int out, float[] bias) {
        String weightName = prefix + ".weight";
        Tensor w = weights.tensor(weightName);
        for (String other : new String[] {weightName + Int4Tensors.PACKED, prefix + GptqTensors.QWEIGHT})
            if (weights.has(other))
                throw new CheckpointException(weights.origin() + ": both " + weightName + " and " + other
                        + " are present, expected one weight: plain, pack-quantized or GPTQ");
        if (weights.has(weightName + Int8Tensors.SCALE))
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + Int8Tensors.SCALE + " is present but "
                    + weightName + " has dtype " + w.dtype() + ", expected I8 (scales belong to int8 weights)");
        if (w.rank() != 2 || w.dim(0) != out || w.dim(1) != in) {
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + " has shape "
                    + w.shapeString() + ", expected [" + out + ", " + in + "]");
        }
        // the weight is streamed once per token: from the heap (2 MiB pages), not from the mapped file (Tensor.copyToHeap)
        return new DenseLinear(w.data().isNative() ? w.copyToHeap() : w, bias);
    }

    /** An int8 {@code prefix.weight} with {@code prefix.weight_scale} ({@link WeightFormat#DENSE_INT8}). */
    static Linear denseInt8(WeightSource weights, String prefix, int in, int out, float[] bias) {
        String weightName = prefix + ".weight";
        return new DenseInt8Linear(Int8Tensors.read(weights, weightName, out, in, out, in), bias);
    }

    /**
     * 4-bit {@code prefix.weight_packed} with its scales, zero points and shape, or GPTQ's {@code prefix.qweight} with
     * its {@code qzeros}, {@code scales} and {@code g_idx} ({@link WeightFormat#DENSE_INT4}).
     */
    static Linear denseInt4(WeightSource weights, String prefix, int in, int out, float[] bias) {
        String weightName = prefix + ".weight";
        if (GptqTensors.isGptq(weights, prefix)) {
            for (String other : new String[] {weightName, weightName + Int4Tensors.PACKED})
                if (weights.has(other))
                    throw new CheckpointException(weights.origin() + ": both " + other + " and " + prefix + GptqTensors.QWEIGHT
                            + " are present, expected one weight: plain, pack-quantized or GPTQ");
            return new DenseInt4Linear(GptqTensors.read(weights, prefix, out, in), bias);
        }
        if (weights.has(weightName))
            throw new CheckpointException(weights.origin() + ": both " + weightName + " and " + weightName + Int4Tensors.PACKED
                    + " are present, expected one weight: plain or pack-quantized");
        try {
            return new DenseInt4Linear(Int4Tensors.read(weights, weightName, out, in), bias);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + Int4Tensors.SCALE + ": " + e.getMessage(), e);
        }
    }

    /** The bias {@code prefix.bias} as floats, or null when the checkpoint has none. */
    public static float[] bias(WeightSource weights, String prefix, int out) {
        String name = prefix + ".bias";
        if (!weights.has(name)) return null;
        Tensor b = weights.tensor(name);
        if (b.rank() != 1 || b.dim(0) != out) {
            throw new CheckpointException(weights.origin() + ": tensor " + name + " has shape " + b.shapeString()
                    + ", expected [" + out + "]");
        }
        return TensorFloats.read(b);
    }
}
