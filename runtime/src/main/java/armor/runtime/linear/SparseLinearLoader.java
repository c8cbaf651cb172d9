package armor.runtime.linear;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.util.Arrays;

/**
 * Builds a 2:4 or ARMOR layer from a pruned linear's checkpoint tensors ({@code P.sparse_values},
 * {@code P.sparse_meta}, and for ARMOR {@code P.armor_a}, {@code P.armor_b}; see docs/checkpoint-format.md),
 * validating every shape, dtype and metadata nibble with an error naming the tensor.
 */
public final class SparseLinearLoader {
    public static final String VALUES = ".sparse_values";
    public static final String META = ".sparse_meta";
    public static final String ARMOR_A = ".armor_a";
    public static final String ARMOR_B = ".armor_b";

    private SparseLinearLoader() {}

    /** True when {@code prefix} is stored as a packed 2:4 core. */
    public static boolean isSparse(WeightSource weights, String prefix) {
        return weights.has(prefix + VALUES) || weights.has(prefix + META) || weights.has(prefix + ARMOR_A) || weights.has(prefix + ARMOR_B);
    }

    /** @param bias {@code out} floats or null */
    public static Linear load(WeightSource weights, String prefix, int in, int out, float[] bias) {
        String origin = weights.origin();
        if (!weights.has(prefix + VALUES))
            throw new CheckpointException(origin + ": missing tensor " + prefix + VALUES + " (the packed 2:4 values; "
                    + prefix + " has other sparse tensors)");
        if (weights.has(prefix + ".weight"))
            throw new CheckpointException(origin + ": both " + prefix + ".weight and " + prefix + VALUES
                    + " are present, expected either a dense weight or a packed 2:4 core");
        Tensor values = weights.tensor(prefix + VALUES);
        if (!weights.has(prefix + META))
            throw new CheckpointException(origin + ": missing tensor " + prefix + META + " (the 2:4 positions of " + prefix + VALUES + ")");
        Tensor meta = weights.tensor(prefix + META);
        if (in % 4 != 0)
            throw new CheckpointException(origin + ": " + prefix + " has " + in + " input features, not a multiple of 4, so it cannot be 2:4");
        DType dt = values.dtype();
        if (dt != DType.BF16 && dt != DType.F16 && dt != DType.F32)
            throw new CheckpointException(origin + ": tensor " + values.name() + " has dtype " + dt + ", expected BF16, F16 or F32");
        expectShape(origin, values, out, in / 2);
        if (meta.dtype() != DType.U8)
            throw new CheckpointException(origin + ": tensor " + meta.name() + " has dtype " + meta.dtype() + ", expected U8");
        expectShape(origin, meta, out, Sparse24Core.metaCols(in));
        Sparse24Matrix core;
        try {
            core = Sparse24Matrix.fromCheckpoint(out, in, dt, values.data(), meta.data(), origin + ": tensor " + meta.name());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
        boolean hasA = weights.has(prefix + ARMOR_A), hasB = weights.has(prefix + ARMOR_B);
        if (!hasA && !hasB) return new Sparse24Linear(core, bias);
        if (!hasA || !hasB)
            throw new CheckpointException(origin + ": missing tensor " + prefix + (hasA ? ARMOR_B : ARMOR_A)
                    + " (an ARMOR layer needs both " + prefix + ARMOR_A + " and " + prefix + ARMOR_B + ")");
        Tensor a = weights.tensor(prefix + ARMOR_A), b = weights.tensor(prefix + ARMOR_B);
        if (a.rank() != 3 || a.dim(1) != a.dim(2) || a.dim(1) == 0)
            throw new CheckpointException(origin + ": tensor " + a.name() + " has shape " + a.shapeString() + ", expected [d_out/b, b, b]");
        int block = a.dim(1);
        if (b.rank() != 3 || b.dim(1) != b.dim(2) || b.dim(1) == 0)
            throw new CheckpointException(origin + ": tensor " + b.name() + " has shape " + b.shapeString() + ", expected [d_in/b, b, b]");
        int blockIn = b.dim(1); // A' and B' may have different block sizes (each divides its own dimension)
        if (out % block != 0)
            throw new CheckpointException(origin + ": tensor " + a.name() + " has block size " + block + ", which does not divide d_out = " + out);
        if (in % blockIn != 0)
            throw new CheckpointException(origin + ": tensor " + b.name() + " has block size " + blockIn + ", which does not divide d_in = " + in);
        expectShape(origin, a, out / block, block, block);
        expectShape(origin, b, in / blockIn, blockIn, blockIn);
        for (Tensor t : new Tensor[] {a, b})
            if (t.dtype() != dt)
                throw new CheckpointException(origin + ": tensor " + t.name() + " has dtype " + t.dtype() + ", expected " + dt + " like " + values.name());
        return new ArmorLinear(core, BlockDiagonal.fromCheckpoint(a.data(), out / block, block, dt),
                BlockDiagonal.fromCheckpoint(b.data(), in / blockIn, blockIn, dt), bias);
    }

    private static void expectShape(String origin, Tensor t, long... shape) {
        if (!Arrays.equals(t.shape(), shape))
            throw new CheckpointException(origin + ": tensor " + t.name() + " has shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
    }
}
