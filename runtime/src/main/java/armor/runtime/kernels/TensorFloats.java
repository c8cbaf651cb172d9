package armor.runtime.kernels;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads float-typed tensor elements (F32, F16, BF16) into float32 arrays: small tensors and embedding rows. */
public final class TensorFloats {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorFloats() {}

    /** All elements of a small tensor. */
    public static float[] read(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        read(t, 0, out, 0, out.length);
        return out;
    }

    /** Elements {@code [from, from + n)} of {@code t} into {@code dst[dstOff ...]}. */
    public static void read(Tensor t, long from, float[] dst, int dstOff, int n) {
        var seg = t.data();
        switch (t.dtype()) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = seg.get(FLOAT, 4 * (from + i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.intBitsToFloat(seg.get(SHORT, 2 * (from + i)) << 16);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(seg.get(SHORT, 2 * (from + i)));
            }
            default -> throw new CheckpointException("tensor " + t.name() + ": dtype " + t.dtype()
                    + ", expected F32, F16 or BF16");
        }
    }
}
