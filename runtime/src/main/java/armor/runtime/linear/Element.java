package armor.runtime.linear;

import armor.runtime.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * How a format codes its weight values: a float type the kernels read as stored and widen in registers; int8 codes
 * with one float32 scale per row and group of columns ({@code NAME} + {@code NAME_scale}); or fp8 (e4m3) codes with
 * their scales, which no CPU kernel reads: {@link armor.runtime.quant.Fp8Weights} dequantizes them to float32 when
 * the checkpoint opens; or 4-bit codes packed eight to an int32 word in compressed-tensors' {@code pack-quantized}
 * form ({@code NAME_packed}, {@code NAME_scale}, optional {@code NAME_zero_point}, {@code NAME_shape}; see
 * {@link armor.runtime.quant.Int4Tensors}) or, for a dense projection, GPTQ's ({@code P.qweight}, {@code P.qzeros},
 * {@code P.scales}; see {@link armor.runtime.quant.GptqTensors}). One column of {@link WeightFormat}.
 *
 * <p>Where one storage class keeps values of several element types, the element says which kernels that storage uses
 * ({@link #dense()}, {@link #twoFour()}, {@link #blocks()}), as llama.cpp's type traits do: the storage takes them once when it is made.
 */
public enum Element {
    BF16(DType.BF16, 16, false, "", DenseLinear.Kernels.BF16, Sparse24Matrix.Kernels.BF16, BlockDiagonal.Kernels.BF16),
    F16(DType.F16, 16, false, "", DenseLinear.Kernels.F16, Sparse24Matrix.Kernels.F16, BlockDiagonal.Kernels.F16),
    F32(DType.F32, 32, false, "", DenseLinear.Kernels.F32, Sparse24Matrix.Kernels.F32, BlockDiagonal.Kernels.F32),
    // dense int8 weights are DenseInt8Linear's, 2:4 ones Sparse24Int8Matrix's; A' and B' may be int8 in any ARMOR layer
    INT8(DType.I8, 8, true, "-int8", null, null, BlockDiagonal.Kernels.INT8),
    FP8_E4M3(DType.F8_E4M3, 8, true, "", null, null, null),
    /** Stored as {@code NAME_packed} (I32) rather than {@code NAME}: see {@link #packed()}. */
    INT4(DType.I32, 4, true, "-int4", null, null, null);

    /** Suffix of a packed element's main tensor: {@code P.weight_packed}, {@code P.sparse_values_packed}. */
    public static final String PACKED_SUFFIX = "_packed";

    /** Bytes of one float32 scale. */
    static final int SCALE_BYTES = 4;

    private final DType dtype;
    private final int valueBits;
    private final boolean scaled;
    private final String kindSuffix;
    private final DenseLinear.Kernels dense;
    private final Sparse24Matrix.Kernels<?> twoFour;
    private final BlockDiagonal.Kernels<?> blocks;

    Element(DType dtype, int valueBits, boolean scaled, String kindSuffix, DenseLinear.Kernels dense,
            Sparse24Matrix.Kernels<?> twoFour, BlockDiagonal.Kernels<?> blocks) {
        this.dtype = dtype;
        this.valueBits = valueBits;
        this.scaled = scaled;
        this.kindSuffix = kindSuffix;
        this.dense = dense;
        this.twoFour = twoFour;
        this.blocks = blocks;
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

    /** The kernels of a {@link DenseLinear} in this type, or null when no DenseLinear holds it (int8 and int4 have their own classes). */
    DenseLinear.Kernels dense() {
        return dense;
    }

    /**
     * How a {@link Sparse24Matrix} (the 2:4 core of a 2:4 or ARMOR layer) keeps and multiplies values of this type, or
     * null when no Sparse24Matrix holds it (int8 and int4 cores have their own classes).
     */
    Sparse24Matrix.Kernels<?> twoFour() {
        return twoFour;
    }

    /** How a {@link BlockDiagonal} (ARMOR's A' and B') keeps and multiplies values of this type, or null when it cannot. */
    BlockDiagonal.Kernels<?> blocks() {
        return blocks;
    }

    /** The dtypes of the elements that {@code has}, in table order, for errors: "BF16, F16 or F32". */
    static String dtypes(Predicate<Element> has) {
        List<String> names = new ArrayList<>();
        for (Element e : values()) if (has.test(e)) names.add(e.dtype.toString());
        return orList(names);
    }

    /** "a, b or c". */
    static String orList(List<String> names) {
        return names.size() == 1 ? names.getFirst() : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
    }

    /** The element stored unpacked as {@code dtype}, or null when no format stores weights so. */
    public static Element of(DType dtype) {
        for (Element e : values()) if (e.dtype == dtype && !e.packed()) return e;
        return null;
    }
}
