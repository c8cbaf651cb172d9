package armor.runtime.linear;

import armor.runtime.tensor.DType;

/**
 * How a format codes its weight values: a float type the kernels read as stored and widen in registers; int8 codes
 * with one float32 scale per row and group of columns ({@code NAME} + {@code NAME_scale}); or fp8 (e4m3) codes with
 * their scales, which no CPU kernel reads: {@link armor.runtime.quant.Fp8Weights} dequantizes them to float32 when
 * the checkpoint opens. One column of {@link WeightFormat}; a 4-bit type is one more constant here.
 */
public enum Element {
    BF16(DType.BF16, 2, false, ""),
    F16(DType.F16, 2, false, ""),
    F32(DType.F32, 4, false, ""),
    INT8(DType.I8, 1, true, "-int8"),
    FP8_E4M3(DType.F8_E4M3, 1, true, "");

    /** Bytes of one float32 scale. */
    static final int SCALE_BYTES = 4;

    private final DType dtype;
    private final int valueBytes;
    private final boolean scaled;
    private final String kindSuffix;

    Element(DType dtype, int valueBytes, boolean scaled, String kindSuffix) {
        this.dtype = dtype;
        this.valueBytes = valueBytes;
        this.scaled = scaled;
        this.kindSuffix = kindSuffix;
    }

    /** The dtype of the stored values. */
    public DType dtype() {
        return dtype;
    }

    /** True for codes with a {@code NAME_scale} tensor beside them (int8, fp8). */
    public boolean scaled() {
        return scaled;
    }

    /** The element's part of a layer kind's name: "-int8" for int8, nothing for the float types (and fp8, run as f32). */
    public String kindSuffix() {
        return kindSuffix;
    }

    /**
     * Bytes of {@code values} stored values with one scale per {@code group} of them (the group is ignored for
     * unscaled types).
     */
    public long bytes(long values, long group) {
        return values * valueBytes + (scaled ? SCALE_BYTES * (values / group) : 0);
    }

    /** The element stored as {@code dtype}, or null when no format stores weights in it. */
    public static Element of(DType dtype) {
        for (Element e : values()) if (e.dtype == dtype) return e;
        return null;
    }
}
