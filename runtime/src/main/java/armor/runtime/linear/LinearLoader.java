package armor.runtime.linear;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

/**
 * The one place where a projection's {@link Linear} is made from checkpoint tensors: {@code prefix.weight} gives a
 * {@link DenseLinear} (an int8 {@code prefix.weight} with {@code prefix.weight_scale}: a {@link DenseInt8Linear}), with
 * {@code prefix.bias} when present; the sparse kinds are keyed on their own tensors ({@code prefix.sparse_values},
 * see {@link SparseLinearLoader}).
 */
public final class LinearLoader {
    private LinearLoader() {}

    /**
     * @param prefix e.g. {@code "model.layers.3.mlp.down_proj"}
     * @param in     expected input features
     * @param out    expected output features
     */
    public static Linear load(WeightSource weights, String prefix, int in, int out) {
        if (SparseLinearLoader.isSparse(weights, prefix)) {
            return SparseLinearLoader.load(weights, prefix, in, out, bias(weights, prefix, out));
        }
        String weightName = prefix + ".weight";
        if (!weights.has(weightName)) {
            throw new CheckpointException(weights.origin() + ": missing tensor " + weightName);
        }
        Tensor w = weights.tensor(weightName);
        if (w.dtype() == DType.I8)
            return new DenseInt8Linear(Int8Tensors.read(weights, weightName, out, in, out, in), bias(weights, prefix, out));
        if (weights.has(weightName + Int8Tensors.SCALE))
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + Int8Tensors.SCALE + " is present but "
                    + weightName + " has dtype " + w.dtype() + ", expected I8 (scales belong to int8 weights)");
        if (w.rank() != 2 || w.dim(0) != out || w.dim(1) != in) {
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + " has shape "
                    + w.shapeString() + ", expected [" + out + ", " + in + "]");
        }
        // the weight is streamed once per token: from the heap (2 MiB pages), not from the mapped file (Tensor.copyToHeap)
        return new DenseLinear(w.data().isNative() ? w.copyToHeap() : w, bias(weights, prefix, out));
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
