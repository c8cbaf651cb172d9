package armor.runtime.quant;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A dense projection {@code P} stored as GPTQ (AutoGPTQ / GPTQModel layout; docs/checkpoint-format.md, "GPTQ
 * checkpoints"), read into an {@link Int4Matrix} so that it runs as armor's dense-int4 kind, with one-line errors that
 * name the tensor or config.json's field:
 * <ul>
 *   <li>{@code P.qweight}: I32 {@code [in/8, out]}, packed along the <em>input</em>: word {@code [i, o]} holds inputs
 *       {@code 8i .. 8i+7} of output o, input {@code 8i+j} in bits {@code 4j .. 4j+3}, unsigned codes 0..15;</li>
 *   <li>{@code P.qzeros}: I32 {@code [groups, out/8]}, packed along the <em>output</em>: word {@code [g, k]} holds
 *       outputs {@code 8k .. 8k+7}; the stored value is {@code zero - 1} in {@code checkpoint_format} "gptq" (v1) and the
 *       zero itself in "gptq_v2";</li>
 *   <li>{@code P.scales}: F16 (BF16, F32 read too) {@code [groups, out]};</li>
 *   <li>{@code P.g_idx} (optional): I32 {@code [in]}, accepted only in column order ({@code g_idx[c] = c / G}).</li>
 * </ul>
 * The weight is {@code W[o, c] = scales[g, o] · (q[c, o] − zero[g, o])} with {@code g = c / G}. In armor's signed form
 * the code is {@code q − 8} and the zero point {@code zero − 8}; a matrix whose zeros are all 8 (symmetric GPTQ) has no
 * zero points. A v1 stored 15 is zero 16 (AutoGPTQ's overflow of zero 0), read as it is meant: zero point 8, which
 * the dense int4 kernels take exactly ({@link Int4Matrix}). The scale and group-index checks are {@link Int4Tensors}'.
 */
public final class GptqTensors {
    public static final String QWEIGHT = ".qweight", QZEROS = ".qzeros", SCALES = ".scales", G_IDX = ".g_idx";
    /** The suffixes of a GPTQ projection's own tensors (its bias aside). */
    public static final List<String> SUFFIXES = List.of(QWEIGHT, QZEROS, SCALES, G_IDX);
    /** Codes per int32 word, along the input (qweight) or the output (qzeros). */
    public static final int PER_WORD = 8;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GptqTensors() {}

    /** True when projection {@code prefix} is stored as GPTQ: {@code prefix.qweight} is present. */
    public static boolean isGptq(WeightSource weights, String prefix) {
        return weights.has(prefix + QWEIGHT);
    }

    /**
     * The {@code rows × cols} (out × in) weight of projection {@code prefix} from its GPTQ tensors, validated against
     * that size and against the {@link GptqConfig} that {@code weights} was opened with ({@link GptqWeights}).
     */
    public static Int4Matrix read(WeightSource weights, String prefix, int rows, int cols) {
        String origin = weights.origin(), qwName = prefix + QWEIGHT;
        GptqConfig config = GptqWeights.config(weights);
        if (config == null)
            throw new CheckpointException(origin + ": tensor " + qwName + " is a GPTQ weight, but config.json has no "
                    + GptqConfig.KEY + " with quant_method \"" + GptqConfig.QUANT_METHOD + "\" and there is no " + GptqConfig.LEGACY_FILE
                    + ", expected one (its bits, group_size and checkpoint_format say how to read the tensors)");
        Tensor qw = weights.tensor(qwName);
        if (qw.dtype() != DType.I32)
            throw new CheckpointException(origin + ": tensor " + qwName + " has dtype " + qw.dtype() + ", expected I32 (eight 4-bit inputs a word)");
        if (cols % PER_WORD != 0 || rows % PER_WORD != 0)
            throw new CheckpointException(origin + ": tensor " + qwName + " belongs to a " + rows + "×" + cols + " projection, expected "
                    + "outputs and inputs that are multiples of 8 (GPTQ packs eight inputs a qweight word, eight outputs a qzeros word)");
        if (!Arrays.equals(qw.shape(), new long[] {cols / PER_WORD, rows}))
            throw new CheckpointException(origin + ": tensor " + qwName + " has shape " + qw.shapeString() + ", expected ["
                    + cols / PER_WORD + ", " + rows + "] ([in/8, out] for the projection's " + cols + " inputs and " + rows + " outputs)");
        Tensor sc = require(weights, prefix + SCALES, qwName);
        Int4Tensors.checkScaleDtype(origin, sc);
        int groups = config.groupSize() == -1 ? 1 : (cols + config.groupSize() - 1) / config.groupSize();
        if (sc.rank() != 2 || sc.dim(0) != groups || sc.dim(1) != rows)
            throw new CheckpointException(origin + ": tensor " + sc.name() + " has shape " + sc.shapeString() + ", expected ["
                    + groups + ", " + rows + "] ([groups, out]: " + config.field("group_size") + " " + config.groupText() + " of "
                    + config.where() + " makes " + groups + (groups == 1 ? " group" : " groups") + " of the projection's " + cols + " inputs)");
        int group = groups == 1 ? cols : config.groupSize();
        if (cols % group != 0 || (group != cols && group % PER_WORD != 0))
            throw new CheckpointException(config.where() + ": " + config.field("group_size") + " is " + group + ", which "
                    + (cols % group != 0 ? "does not divide the " + cols + " inputs of " + prefix : "is not a multiple of 8")
                    + ", expected whole groups of a multiple of 8 inputs, or -1 (armor's int4 kernels read eight inputs a word)");
        Tensor qz = require(weights, prefix + QZEROS, qwName);
        int zw = rows / PER_WORD;
        if (qz.dtype() != DType.I32 || !Arrays.equals(qz.shape(), new long[] {groups, zw}))
            throw new CheckpointException(origin + ": tensor " + qz.name() + " is " + qz.dtype() + " " + qz.shapeString() + ", expected I32 ["
                    + groups + ", " + zw + "] ([groups, out/8]: the 4-bit zero points of " + rows + " outputs packed eight to a word, a row per group)");
        Int4Tensors.checkColumnOrder(weights, prefix + G_IDX, cols, group);
        float[] s = Int4Tensors.scaleValues(origin, sc);

        // transpose into armor's row-major (out × in) signed codes, scales and zero points
        MemorySegment q = qw.data(), z = qz.data();
        int words = cols / PER_WORD;
        byte[] codes = new byte[Math.multiplyExact(rows, cols)];
        for (int o = 0; o < rows; o++) {
            int base = o * cols;
            for (int i = 0; i < words; i++) {
                int word = q.getAtIndex(INT, (long) i * rows + o);
                for (int j = 0; j < PER_WORD; j++) codes[base + PER_WORD * i + j] = (byte) (((word >>> (4 * j)) & 15) - 8);
            }
        }
        float[] scales = new float[rows * groups];
        byte[] zeros = new byte[rows * groups];
        int offset = config.zeroOffset();
        boolean symmetric = true;
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < rows; o++) scales[o * groups + g] = s[g * rows + o];
            for (int k = 0; k < zw; k++) {
                int word = z.getAtIndex(INT, (long) g * zw + k);
                for (int j = 0; j < PER_WORD; j++) {
                    int zero = ((word >>> (4 * j)) & 15) + offset; // 0..15 (v2) or 1..16 (v1)
                    zeros[(PER_WORD * k + j) * groups + g] = (byte) (zero - 8);
                    symmetric &= zero == 8;
                }
            }
        }
        return new Int4Matrix(rows, cols, group, codes, scales, symmetric ? null : zeros);
    }

    private static Tensor require(WeightSource weights, String tensor, String of) {
        if (!weights.has(tensor))
            throw new CheckpointException(weights.origin() + ": missing tensor " + tensor + " (part of the GPTQ weight " + of + ")");
        return weights.tensor(tensor);
    }
}
