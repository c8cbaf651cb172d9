package armor.runtime.quant;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads an int8 checkpoint tensor {@code NAME} and its scales {@code NAME_scale} (docs/checkpoint-format.md) into an
 * {@link Int8Matrix} on the heap, validating dtypes and shapes with one-line errors that name the tensor. The group
 * size follows from the scale tensor's shape: {@code cols / scale columns}.
 */
public final class Int8Tensors {
    /** Suffix of the scale tensor of an int8 tensor: {@code P.weight} → {@code P.weight_scale}. */
    public static final String SCALE = "_scale";
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Int8Tensors() {}

    /** The scale tensor's name of int8 tensor {@code name}. */
    public static String scaleName(String name) {
        return name + SCALE;
    }

    /** True when some tensor of {@code weights} is int8. */
    public static boolean anyInt8(WeightSource weights) {
        for (String n : weights.names()) if (weights.tensor(n).dtype() == DType.I8) return true;
        return false;
    }

    /**
     * compressed-tensors may store a zero point beside symmetric weights ({@code P.weight_zero_point}, all zero):
     * accepted when every byte is zero (zero in every integer dtype, +0.0 in float ones), refused otherwise.
     */
    public static void checkSymmetric(WeightSource weights, String weightName) {
        String name = weightName + "_zero_point";
        if (!weights.has(name)) return;
        MemorySegment z = weights.tensor(name).data();
        for (long i = 0; i < z.byteSize(); i++)
            if (z.get(ValueLayout.JAVA_BYTE, i) != 0)
                throw new CheckpointException(weights.origin() + ": tensor " + name + " has a non-zero zero point "
                        + "(asymmetric int8), expected symmetric int8: not supported");
    }

    /** True when the checkpoint stores {@code name} as int8. */
    public static boolean isInt8(WeightSource weights, String name) {
        return weights.has(name) && weights.tensor(name).dtype() == DType.I8;
    }

    /**
     * {@code name} as a {@code rows × cols} int8 matrix ({@code shape} is the tensor's expected shape, whose elements
     * multiply to rows·cols: {@code [rows, cols]}, or {@code [blocks, b, b]} for block-diagonal factors, read as
     * {@code blocks·b} rows of b); its scales {@code name_scale} have shape {@code [rows, cols/G]} (2-D tensors) or
     * {@code [blocks, b, 1]} (3-D).
     */
    public static Int8Matrix read(WeightSource weights, String name, int rows, int cols, long... shape) {
        String origin = weights.origin();
        Tensor q = weights.tensor(name);
        if (q.dtype() != DType.I8)
            throw new CheckpointException(origin + ": tensor " + name + " has dtype " + q.dtype() + ", expected I8");
        if (!Arrays.equals(q.shape(), shape))
            throw new CheckpointException(origin + ": tensor " + name + " has shape " + q.shapeString() + ", expected " + Arrays.toString(shape));
        String scaleName = name + SCALE;
        if (!weights.has(scaleName))
            throw new CheckpointException(origin + ": missing tensor " + scaleName + " (the scales of the int8 tensor " + name + ")");
        Tensor s = weights.tensor(scaleName);
        if (s.dtype() != DType.F32 && s.dtype() != DType.BF16 && s.dtype() != DType.F16)
            throw new CheckpointException(origin + ": tensor " + scaleName + " has dtype " + s.dtype() + ", expected F32 (or BF16, F16)");
        long[] ss = s.shape();
        int groupsPerRow;
        if (shape.length == 3) {
            if (!Arrays.equals(ss, new long[] {shape[0], shape[1], 1}))
                throw new CheckpointException(origin + ": tensor " + scaleName + " has shape " + s.shapeString() + ", expected "
                        + Arrays.toString(new long[] {shape[0], shape[1], 1}) + " (one scale per block row of " + name + ")");
            groupsPerRow = 1;
        } else {
            if (ss.length != 2 || ss[0] != rows || ss[1] < 1 || ss[1] > cols || cols % ss[1] != 0)
                throw new CheckpointException(origin + ": tensor " + scaleName + " has shape " + s.shapeString() + ", expected ["
                        + rows + ", G] with G dividing " + cols + " (one scale per row and group of columns of " + name + ")");
            groupsPerRow = (int) ss[1];
        }
        // compressed-tensors names: a zero point (asymmetric) or a group index (activation order) change the meaning of
        // the codes; armor's int8 is symmetric with groups in column order, so it refuses rather than compute garbage
        String base = name.endsWith(".weight") ? name : null;
        if (base != null) checkSymmetric(weights, base);
        if (base != null && weights.has(base + "_g_idx"))
            throw new CheckpointException(origin + ": tensor " + base + "_g_idx is present (groups in activation order), "
                    + "expected groups of consecutive columns: not supported");
        byte[] values = new byte[Math.multiplyExact(rows, cols)];
        MemorySegment.copy(q.data(), ValueLayout.JAVA_BYTE, 0, values, 0, values.length);
        float[] scales = TensorFloats.read(s);
        for (int i = 0; i < scales.length; i++)
            if (!(scales[i] >= 0f) || Float.isInfinite(scales[i]))
                throw new CheckpointException(origin + ": tensor " + scaleName + " has scale " + scales[i] + " at element " + i
                        + ", expected a finite non-negative number");
        return new Int8Matrix(rows, cols, cols / groupsPerRow, values, scales);
    }

    /**
     * {@code name} read with the shape it has: a 3-D tensor as block-diagonal factors ({@code [blocks, b, b]}, one
     * scale per block row), a 2-D one as {@code [rows, cols]} with groups of columns.
     */
    public static Int8Matrix read(WeightSource weights, String name) {
        Tensor q = weights.tensor(name);
        long[] shape = q.shape();
        if (shape.length == 3 && shape[1] == shape[2])
            return read(weights, name, Math.toIntExact(shape[0] * shape[1]), Math.toIntExact(shape[2]), shape);
        if (shape.length != 2)
            throw new CheckpointException(weights.origin() + ": int8 tensor " + name + " has shape " + q.shapeString()
                    + ", expected [rows, columns] or [blocks, b, b]");
        return read(weights, name, Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), shape);
    }

    /**
     * {@code source} as float weights: every int8 tensor reads as its dequantized F32 tensor (same name and shape),
     * and the scale tensors are hidden, so that code written for float checkpoints (the export, the 2:4 loader)
     * reads an int8 one. Tensors are dequantized when asked for, one at a time.
     */
    public static WeightSource dequantizing(WeightSource source) {
        Set<String> names = new LinkedHashSet<>();
        for (String n : source.names()) {
            boolean scaleOfInt8 = n.endsWith(SCALE) && isInt8(source, n.substring(0, n.length() - SCALE.length()));
            if (!scaleOfInt8) names.add(n);
        }
        Set<String> visible = Collections.unmodifiableSet(names);
        return new WeightSource() {
            @Override
            public boolean has(String name) {
                return visible.contains(name);
            }

            @Override
            public Tensor tensor(String name) {
                if (!visible.contains(name)) throw new CheckpointException(origin() + ": missing tensor " + name);
                Tensor t = source.tensor(name);
                if (t.dtype() != DType.I8) return t;
                float[] v = read(source, name).dequantize();
                MemorySegment seg = Arena.ofAuto().allocate(4L * v.length, 8);
                MemorySegment.copy(v, 0, seg, FLOAT, 0, v.length);
                return new Tensor(name, DType.F32, t.shape(), seg);
            }

            @Override
            public Set<String> names() {
                return visible;
            }

            @Override
            public String origin() {
                return source.origin();
            }
        };
    }
}
