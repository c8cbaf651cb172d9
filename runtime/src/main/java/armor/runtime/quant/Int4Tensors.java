package armor.runtime.quant;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A 4-bit matrix {@code NAME} in compressed-tensors' {@code pack-quantized} form (docs/checkpoint-format.md), read
 * into an {@link Int4Matrix} and written from one, with one-line errors that name the tensor:
 * <ul>
 *   <li>{@code NAME_packed}: I32 {@code [rows, ceil(cols/8)]}; word {@code [r, j]} holds columns {@code 8j .. 8j+7}
 *       of row r, column {@code 8j+i} in bits {@code 4i .. 4i+3}, as the code plus 8 (unsigned 0..15); padding
 *       nibbles past the last column are zero (compressed-tensors' {@code pack_to_int32});</li>
 *   <li>{@code NAME_scale}: F32 (BF16, F16 read too) {@code [rows, cols/G]};</li>
 *   <li>{@code NAME_zero_point} (only with zero points): I32 {@code [ceil(rows/8), cols/G]}, packed the same way along
 *       the <em>rows</em>: word {@code [k, g]} holds the zero points of rows {@code 8k .. 8k+7} of group g;</li>
 *   <li>{@code NAME_shape}: I64 (I32 read too) {@code [2]}: {@code [rows, cols]};</li>
 *   <li>{@code NAME_g_idx} (read only): I32 {@code [cols]}, each column's group; accepted only in column order
 *       ({@code g_idx[c] = c / G}), since activation reordering would permute the columns.</li>
 * </ul>
 * For a dense projection {@code NAME} is {@code P.weight}, so a dense int4 folder is a standard compressed-tensors
 * W4A16 checkpoint; armor's 2:4 int4 core uses the same tensors for {@code P.sparse_values}.
 */
public final class Int4Tensors {
    public static final String PACKED = "_packed", SCALE = "_scale", ZERO_POINT = "_zero_point", SHAPE = "_shape", G_IDX = "_g_idx";
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Codes per int32 word. */
    public static final int PER_WORD = 8;

    private Int4Tensors() {}

    /** True when the checkpoint stores {@code name} packed: {@code name_packed} is present. */
    public static boolean isPacked(WeightSource weights, String name) {
        return weights.has(name + PACKED);
    }

    /** Words per row of {@code cols} codes. */
    public static int words(int cols) {
        return (cols + PER_WORD - 1) / PER_WORD;
    }

    /** Codes ({@code [-8, 7]}, row-major {@code rows × cols}) packed along each row, compressed-tensors' order. */
    public static int[] pack(byte[] codes, int rows, int cols) {
        int w = words(cols);
        int[] out = new int[rows * w];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[r * w + c / PER_WORD] |= (codes[r * cols + c] + 8) << (4 * (c % PER_WORD));
        return out;
    }

    /** The code of element (r, c) of a packed {@code rows × cols} matrix (words of {@link #words}). */
    static int unpack(MemorySegment packed, int w, int r, int c) {
        return ((packed.getAtIndex(INT, (long) r * w + c / PER_WORD) >>> (4 * (c % PER_WORD))) & 15) - 8;
    }

    /**
     * The {@code rows × cols} 4-bit matrix {@code name} (e.g. {@code P.weight}) from its pack-quantized tensors,
     * validated against the expected size; its group follows from its scales' shape.
     */
    public static Int4Matrix read(WeightSource weights, String name, int rows, int cols) {
        String origin = weights.origin();
        Tensor packed = require(weights, name + PACKED, name);
        Tensor shape = require(weights, name + SHAPE, name);
        long[] size = shapeValues(origin, shape);
        if (size.length != 2 || size[0] != rows || size[1] != cols)
            throw new CheckpointException(origin + ": tensor " + shape.name() + " is " + Arrays.toString(size) + ", expected ["
                    + rows + ", " + cols + "] (the size of " + name + ")");
        int w = words(cols);
        if (packed.dtype() != DType.I32)
            throw new CheckpointException(origin + ": tensor " + packed.name() + " has dtype " + packed.dtype() + ", expected I32 (eight 4-bit codes a word)");
        if (!Arrays.equals(packed.shape(), new long[] {rows, w}))
            throw new CheckpointException(origin + ": tensor " + packed.name() + " has shape " + packed.shapeString() + ", expected ["
                    + rows + ", " + w + "] for " + shape.name() + " = [" + rows + ", " + cols + "] (eight columns a word)");
        Tensor s = require(weights, name + SCALE, name);
        checkScaleDtype(origin, s);
        if (s.rank() != 2 || s.dim(0) != rows || s.dim(1) < 1 || cols % s.dim(1) != 0)
            throw new CheckpointException(origin + ": tensor " + s.name() + " has shape " + s.shapeString() + ", expected [" + rows
                    + ", G] with G dividing " + cols + " (one scale per row and group of columns of " + name + ")");
        int gpr = s.dim(1), group = cols / gpr;
        checkColumnOrder(weights, name + G_IDX, cols, group);
        float[] scales = scaleValues(origin, s);
        byte[] codes = new byte[Math.multiplyExact(rows, cols)];
        MemorySegment p = packed.data();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) codes[r * cols + c] = (byte) unpack(p, w, r, c);
        }
        byte[] zeros = null;
        if (weights.has(name + ZERO_POINT)) {
            Tensor z = weights.tensor(name + ZERO_POINT);
            int zr = words(rows);
            if (z.dtype() != DType.I32 || !Arrays.equals(z.shape(), new long[] {zr, gpr}))
                throw new CheckpointException(origin + ": tensor " + z.name() + " is " + z.dtype() + " " + z.shapeString()
                        + ", expected I32 [" + zr + ", " + gpr + "] (4-bit zero points of " + rows + " rows packed eight to a word, one per group)");
            zeros = new byte[rows * gpr];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < gpr; g++) {
                    int word = z.data().getAtIndex(INT, (long) (r / PER_WORD) * gpr + g);
                    zeros[r * gpr + g] = (byte) (((word >>> (4 * (r % PER_WORD))) & 15) - 8);
                }
            boolean allZero = true;
            for (byte b : zeros) allZero &= b == 0;
            if (allZero) zeros = null; // a symmetric checkpoint with its zero points written out
        }
        return new Int4Matrix(rows, cols, group, codes, scales, zeros);
    }

    private static Tensor require(WeightSource weights, String tensor, String of) {
        if (!weights.has(tensor))
            throw new CheckpointException(weights.origin() + ": missing tensor " + tensor + " (part of the pack-quantized " + of + ")");
        return weights.tensor(tensor);
    }

    /** The unpacked [rows, columns] a {@code NAME_shape} tensor holds (I64 or I32), checked; {@code origin} names the file in errors. */
    public static long[] shapeValues(String origin, Tensor shape) {
        if (shape.rank() != 1 || (shape.dtype() != DType.I64 && shape.dtype() != DType.I32))
            throw new CheckpointException(origin + ": tensor " + shape.name() + " is " + shape.dtype() + " " + shape.shapeString()
                    + ", expected I64 (or I32) [2]: the unpacked [rows, columns]");
        long[] v = new long[shape.dim(0)];
        for (int i = 0; i < v.length; i++)
            v[i] = shape.dtype() == DType.I64 ? shape.data().getAtIndex(LONG, i) : shape.data().getAtIndex(INT, i);
        return v;
    }

    /** A 4-bit matrix's scales are F32, BF16 or F16 (shared with {@link GptqTensors}). */
    static void checkScaleDtype(String origin, Tensor s) {
        if (s.dtype() != DType.F32 && s.dtype() != DType.BF16 && s.dtype() != DType.F16)
            throw new CheckpointException(origin + ": tensor " + s.name() + " has dtype " + s.dtype() + ", expected F32 (or BF16, F16)");
    }

    /** The values of scale tensor {@code s} as float32, each finite and not negative (shared with {@link GptqTensors}). */
    static float[] scaleValues(String origin, Tensor s) {
        float[] scales = TensorFloats.read(s);
        for (int i = 0; i < scales.length; i++)
            if (!(scales[i] >= 0f) || Float.isInfinite(scales[i]))
                throw new CheckpointException(origin + ": tensor " + s.name() + " has scale " + scales[i] + " at element " + i
                        + ", expected a finite non-negative number");
        return scales;
    }

    /**
     * A group index {@code gIdxName} (when present) in column order ({@code g_idx[c] = c / G}, or compressed-tensors'
     * "unset" marker -1) means what plain groups mean; any other order is activation reordering, whose columns armor's
     * kernels would need permuted. Shared by compressed-tensors' {@code P.weight_g_idx} and GPTQ's {@code P.g_idx}.
     */
    static void checkColumnOrder(WeightSource weights, String gIdxName, int cols, int group) {
        if (!weights.has(gIdxName)) return;
        Tensor g = weights.tensor(gIdxName);
        if (g.dtype() != DType.I32 || g.rank() != 1 || g.dim(0) != cols)
            throw new CheckpointException(weights.origin() + ": tensor " + g.name() + " is " + g.dtype() + " " + g.shapeString()
                    + ", expected I32 [" + cols + "] (each column's group)");
        for (int c = 0; c < cols; c++) {
            int v = g.data().getAtIndex(INT, c);
            if (v == -1) return;
            if (v != c / group)
                throw new CheckpointException(weights.origin() + ": tensor " + g.name() + " puts column " + c + " in group " + v
                        + ", expected group " + c / group + " (g_idx[c] = c / " + group + "): activation reordering is not supported");
        }
    }

    /** The pack-quantized tensors of {@code m} under {@code name} (on the heap): packed codes, scales, zero points, shape. */
    public static List<Tensor> tensors(String name, Int4Matrix m) {
        List<Tensor> out = new ArrayList<>();
        int w = words(m.cols()), gpr = m.groupsPerRow();
        out.add(ints(name + PACKED, pack(m.codes(), m.rows(), m.cols()), m.rows(), w));
        MemorySegment s = MemorySegment.ofArray(new byte[4 * m.scales().length]);
        MemorySegment.copy(m.scales(), 0, s, FLOAT, 0, m.scales().length);
        out.add(new Tensor(name + SCALE, DType.F32, new long[] {m.rows(), gpr}, s));
        if (!m.symmetric()) {
            for (byte z : m.zeroPoints())
                if (z > Int4Matrix.MAX)
                    throw new IllegalArgumentException(name + ": zero point " + z + " (GPTQ's zero 16) has no pack-quantized form, "
                            + "expected [" + Int4Matrix.MIN + ", " + Int4Matrix.MAX + "]");
            // compressed-tensors packs zero points along the rows: pack the transposed matrix, then transpose back
            byte[] t = new byte[gpr * m.rows()];
            for (int r = 0; r < m.rows(); r++) for (int g = 0; g < gpr; g++) t[g * m.rows() + r] = m.zeroPoints()[r * gpr + g];
            int[] packedT = pack(t, gpr, m.rows());
            int zr = words(m.rows());
            int[] z = new int[zr * gpr];
            for (int g = 0; g < gpr; g++) for (int k = 0; k < zr; k++) z[k * gpr + g] = packedT[g * zr + k];
            out.add(ints(name + ZERO_POINT, z, zr, gpr));
        }
        MemorySegment shape = MemorySegment.ofArray(new byte[16]);
        shape.setAtIndex(LONG, 0, m.rows());
        shape.setAtIndex(LONG, 1, m.cols());
        out.add(new Tensor(name + SHAPE, DType.I64, new long[] {2}, shape));
        return out;
    }

    private static Tensor ints(String name, int[] v, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[4 * v.length]);
        MemorySegment.copy(v, 0, seg, INT, 0, v.length);
        return new Tensor(name, DType.I32, new long[] {rows, cols}, seg);
    }
}
