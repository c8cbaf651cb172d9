package armor.runtime.tensor;

/** Element types of stored tensors (safetensors names). */
public enum DType {
    F32(4), F16(2), BF16(2), U8(1), I8(1), I16(2), I32(4), I64(8), BOOL(1),
    /** 8-bit float (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; no infinities): compressed-tensors' fp8 weights. */
    F8_E4M3(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}
