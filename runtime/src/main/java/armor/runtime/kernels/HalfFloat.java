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
}
