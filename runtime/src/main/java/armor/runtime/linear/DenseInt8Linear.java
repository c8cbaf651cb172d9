package armor.runtime.linear;

import armor.runtime.kernels.DenseInt8MatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8Matrix;

/**
 * A dense linear layer over an int8 weight with group scales ({@link Int8Matrix}, {@code [out, in]}), kept in the
 * Java heap (the codes as {@code byte[]}) so that decode streams them from 2 MiB pages. Output rows are split over
 * {@link Parallel}; activations stay float32 and the codes are widened in registers (docs/benchmarks.md has the
 * measurement that chose this over quantizing the activations).
 */
public final class DenseInt8Linear implements Linear {
    /** Rows per unit of work (as {@link DenseLinear}). */
    private static final int GRAIN = 16;
    /** Multiply-adds below which a product runs on the calling thread alone. */
    private static final long SERIAL_WORK = 1 << 16;

    private final Int8Matrix weight;
    private final float[] bias;

    /** @param bias {@code out} floats, or null */
    public DenseInt8Linear(Int8Matrix weight, float[] bias) {
        if (bias != null && bias.length != weight.rows())
            throw new IllegalArgumentException("int8 linear: bias has " + bias.length + " entries, expected " + weight.rows());
        this.weight = weight;
        this.bias = bias;
    }

    public Int8Matrix weight() {
        return weight;
    }

    /** The bias, or null. */
    public float[] bias() {
        return bias;
    }

    /** The dense float32 weight this layer computes with ({@code out × in}, row-major). */
    public float[] denseWeight() {
        return weight.dequantize();
    }

    @Override
    public int inFeatures() {
        return weight.cols();
    }

    @Override
    public int outFeatures() {
        return weight.rows();
    }

    @Override
    public void forward(float[] x, float[] y, int tokens) {
        byte[] q = weight.values();
        float[] s = weight.scales();
        int in = weight.cols(), out = weight.rows(), g = weight.groupSize();
        Parallel.RangeBody rows = tokens == 1
                ? (a, b) -> DenseInt8MatMul.matVec(q, s, in, g, x, 0, y, 0, a, b)
                : (a, b) -> DenseInt8MatMul.matMat(q, s, in, g, x, 0, in, y, 0, out, tokens, a, b);
        if ((long) out * in * tokens < SERIAL_WORK) rows.run(0, out);
        else Parallel.forRange(out, GRAIN, rows);
        if (bias != null) Sparse24Linear.addBias(y, bias, tokens);
    }

    @Override
    public long weightBytes() {
        return weight.bytes() + (bias == null ? 0 : 4L * weight.rows());
    }

    @Override
    public String kind() {
        return "dense-int8";
    }
}
