package armor.runtime.linear;

import armor.runtime.tensor.DType;

/**
 * How a format codes its weight values: a float type the kernels read as stored and widen in registers; int8 codes
 * with one float32 scale per row and group of columns ({@code NAME} + {@code NAME_scale}); or fp8 (e4m3) codes with
 * their scales, which no CPU kernel reads: {@link armor.runtime.quant.Fp8Weights} dequantizes them to float32 when
 * the checkpoint opens; or 4-bit codes packed eight to an int32 word in compressed-tensors' {@code pack-quantized}
 * form ({@code NAME_packed}, {@code NAME_scale}, optional {@code NAME_zero_point}, {@code NAME_shape}; see
 * {@link armor.runtime.quant.Int4Tensors}) or, for a dense projection, GPTQ's ({@code P.qweight}, {@code P.qzeros},
 * {@code P.scales}; see {@link armor.runtime.quant.GptqTensors}). One column of {@link WeightFormat}.
 */
public enum Element {
    BF16(DType.BF16, 16, false, ""),
    F16(DType.F16, 16, false, ""),
    F32(DType.F32, 32, false, ""),
    INT8(DType.I8, 8, true, "-int8"),
    FP8_E4M3(DType.F8_E4M3, 8, true, ""),
    /** Stored as {@code NAME_packed} (I32) rather than {@code NAME}: see {@link #packed()}. */
    INT4(DType.I32, 4, true, "-int4");

    /** Suffix of a packed element's main tensor: {@code P.weight_packed}, {@code P.sparse_values_packed}. */
    public static final String PACKED_SUFFIX = "_packed";

    /** Bytes of one float32 scale. */
    static final int SCALE_BYTES = 4;

    private final DType dtype;
    private final int valueBits;
    private final boolean scaled;
    private final String kindSuffix;

    Element(DType dtype, int valueBits, boolean scaled, String kindSuffix) {
        this.dtype = dtype;
        this.valueBits = valueBits;
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

    /**
     * True for codes packed several to a word of {@link #dtype()} (int4 in int32): the main tensor is then
     * {@code NAME_packed}, so that a plain {@code NAME} of that dtype is never taken for packed codes.
     */
    public boolean packed() {
        return valueBits < 8 * dtype.bytes();
    }

    /** The element's part of a layer kind's name: "-int8", "-int4", nothing for the float types (and fp8, run as f32). */
    public String kindSuffix() {
        return kindSuffix;
    }

    /**
     * Bytes of {@code values} stored values with one scale per {@code group} of them (the group is ignored for
     * unscaled types).
     */
    public long bytes(long values, long group) {
        return values * valueBits / 8 + (scaled ? SCALE_BYTES * (values / group) : 0);
    }

    /** The element stored unpacked as {@code dtype}, or null when no format stores weights so. */
    public static Element of(DType dtype) {
        for (Element e : values()) if (e.dtype == dtype && !e.packed()) return e;
        return null;
    }
}
