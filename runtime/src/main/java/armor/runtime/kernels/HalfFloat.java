package armor.runtime.kernels;

/** Scalar conversions between float32 and the 16-bit stored dtypes (bf16, IEEE f16). */
public final class HalfFloat {
    private HalfFloat() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Rounds to nearest even, as PyTorch's {@code tensor.to(torch.bfloat16)}; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** One of the roundings above ({@link #floatToBf16}, {@link #floatToF16}), for code that keeps either type. */
    @FunctionalInterface
    public interface Round {
        short round(float f);
    }

    /** One of the widenings above ({@link #bf16ToFloat}, {@link #f16ToFloat}). */
    @FunctionalInterface
    public interface Widen {
        float widen(short bits);
    }

    /** Every value rounded to the 16-bit type (load-time packing, not a kernel). */
    public static short[] round(float[] values, Round type) {
        short[] w = new short[values.length];
        for (int i = 0; i < w.length; i++) w[i] = type.round(values[i]);
        return w;
    }

    /** Every stored value widened to float32; exact. */
    public static float[] widen(short[] bits, Widen type) {
        float[] v = new float[bits.length];
        for (int i = 0; i < v.length; i++) v[i] = type.widen(bits[i]);
        return v;
    }
}
