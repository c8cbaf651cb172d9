package armor.runtime.sparse;

import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

/**
 * Which tensors of a checkpoint the int8 format quantizes, and with which groups (docs/checkpoint-format.md, "int8
 * weights"): a dense projection's {@code P.weight} in groups of G input columns; a 2:4 core's
 * {@code P.sparse_values} in groups of G/2 kept values (G dense columns); ARMOR's {@code P.armor_a} /
 * {@code P.armor_b} one scale per row of each block; the token embedding and an untied head like a dense weight
 * when the scheme includes embeddings. Everything else (metadata, biases, norms) keeps its dtype.
 */
public final class Int8Layout {
    static final String EMBEDDING = "model.embed_tokens.weight";
    static final String HEAD = "lm_head.weight";

    /** How a tensor is quantized. */
    public enum Role {
        /** {@code [d_out, d_in]}: a dense linear, the embedding or the head. */
        WEIGHT,
        /** {@code [d_out, d_in/2]}: packed 2:4 values, groups of G/2 values. */
        SPARSE_VALUES,
        /** {@code [n, b, b]}: ARMOR block-diagonal factors, one scale per block row. */
        BLOCKS
    }

    /** A quantized tensor as stored: the values' shape and the scales' shape. */
    public record Quantized(Int8Matrix matrix, long[] shape, long[] scaleShape) {}

    private Int8Layout() {}

    /** The role of tensor {@code name} under {@code scheme}, or null when it keeps its dtype. */
    public static Role role(String name, Int8Scheme scheme) {
        if (name.endsWith(SparseLinearLoader.VALUES)) return Role.SPARSE_VALUES;
        if (name.endsWith(SparseLinearLoader.ARMOR_A) || name.endsWith(SparseLinearLoader.ARMOR_B)) return Role.BLOCKS;
        if (name.endsWith(".weight")) {
            String prefix = name.substring(0, name.length() - ".weight".length());
            if (Conversions.PROJECTION.matcher(prefix).matches()) return Role.WEIGHT;
            if (scheme.embeddings() && (name.equals(EMBEDDING) || name.equals(HEAD))) return Role.WEIGHT;
        }
        return null;
    }

    /** Input columns of a row of {@code t} in the dense matrix it stands for (twice the stored ones for 2:4 values). */
    static int denseColumns(Role role, Tensor t) {
        return role == Role.SPARSE_VALUES ? 2 * t.dim(1) : t.dim(t.rank() - 1);
    }

    /**
     * Checks, before anything is written, that every tensor {@code scheme} would quantize has the expected rank and
     * a row the group size fits, and that nothing is int8 already.
     *
     * @throws Int8SchemeException naming the first tensor the group size does not fit, or an int8 tensor
     */
    public static int check(WeightSource source, Int8Scheme scheme) {
        int n = 0;
        for (String name : source.names()) {
            Tensor t = source.tensor(name);
            if (t.dtype() == DType.I8)
                throw new Int8SchemeException(Int8SchemeException.Cause.ALREADY_QUANTIZED, source.origin() + ": tensor " + name + " is int8 already, expected a folder with "
                        + "float weights (BF16, F16 or F32) to quantize");
            Role role = role(name, scheme);
            if (role == null) continue;
            int rank = role == Role.BLOCKS ? 3 : 2;
            if (t.rank() != rank || (role == Role.BLOCKS && t.dim(1) != t.dim(2)))
                throw new CheckpointException(source.origin() + ": tensor " + name + " has shape "
                        + t.shapeString() + ", expected " + (role == Role.BLOCKS ? "[n, b, b]" : "a matrix [rows, columns]"));
            if (role != Role.BLOCKS) scheme.groupFor(name, denseColumns(role, t));
            n++;
        }
        return n;
    }

    /** Quantizes the float values of tensor {@code name} (shape {@code shape}, role {@code role}). */
    static Quantized quantize(String name, Role role, long[] shape, float[] values, Int8Scheme scheme) {
        return switch (role) {
            case WEIGHT -> {
                int rows = Math.toIntExact(shape[0]), cols = Math.toIntExact(shape[1]);
                int g = scheme.groupFor(name, cols);
                yield new Quantized(Int8Quantizer.quantize(values, rows, cols, g), shape, new long[] {rows, cols / g});
            }
            case SPARSE_VALUES -> {
                int rows = Math.toIntExact(shape[0]), kept = Math.toIntExact(shape[1]);
                int g = scheme.groupFor(name, 2 * kept); // G dense columns hold G/2 kept values
                yield new Quantized(Int8Quantizer.quantize(values, rows, kept, g / 2), shape, new long[] {rows, 2L * kept / g});
            }
            case BLOCKS -> {
                int blocks = Math.toIntExact(shape[0]), b = Math.toIntExact(shape[1]);
                yield new Quantized(Int8Quantizer.quantize(values, blocks * b, b, b), shape, new long[] {blocks, b, 1});
            }
        };
    }

    /** The scale tensor's name for {@code name}. */
    static String scaleName(String name) {
        return Int8Tensors.scaleName(name);
    }

}
