package armor.runtime.linear;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

/**
 * The one place where a projection's {@link Linear} is made from checkpoint tensors. Today: {@code prefix.weight}
 * gives a {@link DenseLinear}, with {@code prefix.bias} when present. Sparse kinds hook in here, keyed on their own
 * tensors (e.g. {@code prefix.sparse_values}).
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
        if (w.rank() != 2 || w.dim(0) != out || w.dim(1) != in) {
            throw new CheckpointException(weights.origin() + ": tensor " + weightName + " has shape "
                    + w.shapeString() + ", expected [" + out + ", " + in + "]");
        }
        return new DenseLinear(w, bias(weights, prefix, out));
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
