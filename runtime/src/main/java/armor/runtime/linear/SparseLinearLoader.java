package armor.runtime.linear;

import armor.runtime.quant.Int4Tensors;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Tensors;
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
        Structure s = Structure.of(weights, prefix);
        return s != null && s != Structure.DENSE;
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
        Element element = Element.of(dt);
        WeightFormat format = element == null ? null : WeightFormat.of(Structure.TWO_FOUR, element);
        if (format == null || !format.runnable())
            throw new CheckpointException(origin + ": tensor " + values.name() + " has dtype " + dt + ", expected "
                    + WeightFormat.loadableDtypes(Structure.TWO_FOUR));
        expectShape(origin, values, out, in / 2);
        if (meta.dtype() != DType.U8)
            throw new CheckpointException(origin + ": tensor " + meta.name() + " has dtype " + meta.dtype() + ", expected U8");
        expectShape(origin, meta, out, Sparse24Core.metaCols(in));
        SparseCore core;
        try {
            if (element.scaled()) {
                Int8Matrix q = Int8Tensors.read(weights, values.name(), out, in / 2, out, in / 2);
                if (q.groupSize() != in / 2 && q.groupSize() % 4 != 0)
                    throw new CheckpointException(origin + ": tensor " + values.name() + Int8Tensors.SCALE + " has " + q.groupsPerRow()
                            + " scales a row, so groups of " + q.groupSize() + " kept values; expected a multiple of 4 (8 dense columns) or the whole row");
                core = Sparse24Int8Matrix.fromInt8(q, in, meta.data(), origin + ": tensor " + meta.name());
            } else {
                if (weights.has(values.name() + Int8Tensors.SCALE))
                    throw new CheckpointException(origin + ": tensor " + values.name() + Int8Tensors.SCALE + " is present but "
                            + values.name() + " has dtype " + dt + ", expected I8 (scales belong to int8 values)");
                core = Sparse24Matrix.fromCheckpoint(out, in, dt, values.data(), meta.data(), origin + ": tensor " + meta.name());
            }
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
        return layer(weights, prefix, core, in, out, dt == DType.I8 ? null : dt, values.name(), bias);
    }

    /**
     * The layer around {@code core}: 2:4 alone, or ARMOR when {@code P.armor_a} and {@code P.armor_b} are present (both
     * checked and read).
     *
     * @param floatCore the core's float dtype, which float factors must share; null for a quantized core (factors in
     *                  any float dtype or int8)
     */
    private static Linear layer(WeightSource weights, String prefix, SparseCore core, int in, int out, DType floatCore, String valuesName,
                                float[] bias) {
        String origin = weights.origin();
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
        return new ArmorLinear(core, blockDiagonal(weights, a, out / block, block, floatCore, valuesName),
                blockDiagonal(weights, b, in / blockIn, blockIn, floatCore, valuesName), bias);
    }

    /**
     * A 2:4 core with 4-bit kept values: {@code P.sparse_values} in pack-quantized form ({@link Int4Tensors}: the
     * {@code (d_out, d_in/2)} kept values, scale groups of G/2 kept values for G dense columns) and {@code P.sparse_meta}
     * as for every 2:4 core ({@link WeightFormat#TWO_FOUR_INT4}); with {@code P.armor_a} and {@code P.armor_b} (int8 or
     * float) an ARMOR layer around it ({@link WeightFormat#ARMOR_INT4}).
     */
    static Linear loadInt4(WeightSource weights, String prefix, int in, int out, float[] bias) {
        String origin = weights.origin();
        for (String other : new String[] {VALUES, ".weight"})
            if (weights.has(prefix + other))
                throw new CheckpointException(origin + ": both " + prefix + other + " and " + prefix + VALUES + Int4Tensors.PACKED
                        + " are present, expected one weight of " + prefix);
        if (!weights.has(prefix + META))
            throw new CheckpointException(origin + ": missing tensor " + prefix + META + " (the 2:4 positions of " + prefix + VALUES + Int4Tensors.PACKED + ")");
        if (in % 4 != 0)
            throw new CheckpointException(origin + ": " + prefix + " has " + in + " input features, not a multiple of 4, so it cannot be 2:4");
        Tensor meta = weights.tensor(prefix + META);
        if (meta.dtype() != DType.U8)
            throw new CheckpointException(origin + ": tensor " + meta.name() + " has dtype " + meta.dtype() + ", expected U8");
        expectShape(origin, meta, out, Sparse24Core.metaCols(in));
        var values = Int4Tensors.read(weights, prefix + VALUES, out, in / 2);
        Sparse24Int4Matrix core;
        try {
            core = new Sparse24Int4Matrix(values, in, meta.data(), origin + ": tensor " + meta.name());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage().startsWith(origin) ? e.getMessage()
                    : origin + ": tensor " + prefix + VALUES + Int4Tensors.SCALE + ": " + e.getMessage(), e);
        }
        return layer(weights, prefix, core, in, out, null, prefix + VALUES + Int4Tensors.PACKED, bias);
    }

    /**
     * A' or B' from its tensor: in the values' dtype, or int8 with one scale per block row ({@code NAME_scale}); an
     * int8 core may keep 16-bit factors and a 16-bit core int8 factors (each tensor says what it is).
     */
    private static BlockDiagonal blockDiagonal(WeightSource weights, Tensor t, int blocks, int b, DType floatCore, String valuesName) {
        if (t.dtype() == DType.I8)
            return BlockDiagonal.fromInt8(Int8Tensors.read(weights, t.name(), blocks * b, b, blocks, b, b), blocks, b);
        DType expected = floatCore == null ? t.dtype() : floatCore;
        if (t.dtype() != expected || (t.dtype() != DType.BF16 && t.dtype() != DType.F16 && t.dtype() != DType.F32))
            throw new CheckpointException(weights.origin() + ": tensor " + t.name() + " has dtype " + t.dtype() + ", expected "
                    + (floatCore == null ? "I8, BF16, F16 or F32" : floatCore + " like " + valuesName + " (or I8)"));
        return BlockDiagonal.fromCheckpoint(t.data(), blocks, b, t.dtype());
    }

    private static void expectShape(String origin, Tensor t, long... shape) {
        if (!Arrays.equals(t.shape(), shape))
            throw new CheckpointException(origin + ": tensor " + t.name() + " has shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
    }
}
