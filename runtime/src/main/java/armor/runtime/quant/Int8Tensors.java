package armor.runtime.quant;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How an {@link Int8Matrix} is stored in a checkpoint: the I8 tensor {@code NAME} and its F32 scales
 * {@code NAME_scale}, whose shape is the tensor's with the last dimension divided by the group size
 * ({@code [d_out, d_in/G]} for a weight, {@code [d_out/b, b, 1]} for ARMOR blocks). The group size follows from the
 * shapes alone (docs/checkpoint-format.md).
 */
public final class Int8Tensors {
    public static final String SCALE = "_scale";
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Int8Tensors() {}

    public static String scaleName(String tensor) {
        return tensor + SCALE;
    }

    /** True when {@code name} is an int8 tensor of {@code w} (its scales may still be missing or wrong). */
    public static boolean isInt8(WeightSource w, String name) {
        return w.has(name) && w.tensor(name).dtype() == DType.I8;
    }

    /** True when some tensor of {@code w} is int8. */
    public static boolean anyInt8(WeightSource w) {
        for (String n : w.names()) if (w.tensor(n).dtype() == DType.I8) return true;
        return false;
    }

    /**
     * Reads int8 tensor {@code name} and its scales as a matrix of {@code product of leading dims} rows and
     * {@code last dim} columns, checking the scale tensor: present, F32, same leading dimensions, a last dimension
     * that divides the tensor's.
     */
    public static Int8Matrix read(WeightSource w, String name) {
        Tensor q = w.tensor(name);
        String origin = w.origin();
        if (q.dtype() != DType.I8)
            throw new CheckpointException(origin + ": tensor " + name + " has dtype " + q.dtype() + ", expected I8");
        String sn = scaleName(name);
        long[] shape = q.shape();
        if (shape.length == 0) throw new CheckpointException(origin + ": tensor " + name + " is a scalar, expected a matrix");
        if (!w.has(sn))
            throw new CheckpointException(origin + ": int8 tensor " + name + " has no scales, expected tensor " + sn + " (F32, "
                    + expectedScaleShape(shape) + ")");
        Tensor s = w.tensor(sn);
        if (s.dtype() != DType.F32)
            throw new CheckpointException(origin + ": tensor " + sn + " has dtype " + s.dtype() + ", expected F32");
        long[] ss = s.shape();
        int last = shape.length - 1;
        boolean ok = ss.length == shape.length && ss[last] > 0 && shape[last] % ss[last] == 0
                && Arrays.equals(Arrays.copyOf(ss, last), Arrays.copyOf(shape, last));
        if (!ok)
            throw new CheckpointException(origin + ": tensor " + sn + " has shape " + s.shapeString() + ", expected "
                    + expectedScaleShape(shape) + " for " + name + " " + q.shapeString());
        int cols = Math.toIntExact(shape[last]);
        int rows = Math.toIntExact(q.elementCount() / Math.max(cols, 1));
        int group = Math.toIntExact(cols / ss[last]);
        byte[] values = q.data().toArray(ValueLayout.JAVA_BYTE);
        float[] scales = new float[Math.toIntExact(s.elementCount())];
        MemorySegment.copy(s.data(), FLOAT, 0, scales, 0, scales.length);
        return new Int8Matrix(rows, cols, group, values, scales);
    }

    private static String expectedScaleShape(long[] shape) {
        long[] e = shape.clone();
        e[e.length - 1] = -1;
        return Arrays.toString(e).replace("-1", shape[shape.length - 1] + "/G");
    }

    /**
     * {@code source} as float weights: every int8 tensor with scales reads as its dequantized F32 tensor (same name
     * and shape), and the scale tensors are hidden. Tensors are dequantized when asked for, one at a time, so an
     * export holds one matrix in float32 at once.
     */
    public static WeightSource dequantizing(WeightSource source) {
        Set<String> names = new LinkedHashSet<>();
        for (String n : source.names()) {
            boolean scaleOfInt8 = n.endsWith(SCALE) && isInt8(source, n.substring(0, n.length() - SCALE.length()));
            if (!scaleOfInt8) names.add(n);
        }
        Set<String> visible = java.util.Collections.unmodifiableSet(names);
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
