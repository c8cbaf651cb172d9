package armor.runtime.linear;

import armor.runtime.kernels.DenseGemm;
import armor.runtime.kernels.DenseMatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.Tensor;

/**
 * A dense linear layer over a row-major {@code [out, in]} weight kept in its stored dtype (F32, F16 or BF16),
 * usually a view of the memory-mapped checkpoint. Output rows are split over {@link Parallel}.
 */
public final class DenseLinear implements Linear {
    /** Rows per unit of work: large enough to amortise a task, small enough to balance two to 64 cores. */
    private static final int GRAIN = 16;
    /** Multiply-adds below which a product runs on the calling thread alone (~10 µs of work). */
    private static final long SERIAL_WORK = 1 << 16;

    private final Tensor weight;
    private final float[] bias;
    private final int in;
    private final int out;

    /**
     * @param weight {@code [out, in]} in F32, F16 or BF16
     * @param bias   {@code out} floats, or null
     */
    public DenseLinear(Tensor weight, float[] bias) {
        if (weight.rank() != 2) {
            throw new CheckpointException("tensor " + weight.name() + ": shape " + weight.shapeString()
                    + ", expected 2 dimensions [out, in]");
        }
        switch (weight.dtype()) {
            case F32, F16, BF16 -> { }
            default -> throw new CheckpointException("tensor " + weight.name() + ": dtype " + weight.dtype()
                    + ", expected F32, F16 or BF16");
        }
        this.weight = weight;
        this.out = weight.dim(0);
        this.in = weight.dim(1);
        if (bias != null && bias.length != out) {
            throw new CheckpointException("bias of " + weight.name() + ": " + bias.length + " values, expected " + out);
        }
        this.bias = bias;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public float[] bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void forward(float[] x, float[] y, int tokens) {
        var w = weight.data();
        boolean many = tokens >= DenseGemm.MIN_TOKENS;
        Parallel.RangeBody rows = switch (weight.dtype()) {
            case BF16 -> tokens == 1 ? (a, b) -> DenseMatMul.bf16MatVec(w, in, x, y, a, b)
                    : many ? (a, b) -> DenseGemm.bf16(w, in, out, x, y, tokens, a, b)
                    : (a, b) -> DenseMatMul.bf16MatMat(w, in, out, x, y, tokens, a, b);
            case F32 -> tokens == 1 ? (a, b) -> DenseMatMul.f32MatVec(w, in, x, y, a, b)
                    : many ? (a, b) -> DenseGemm.f32(w, in, out, x, y, tokens, a, b)
                    : (a, b) -> DenseMatMul.f32MatMat(w, in, out, x, y, tokens, a, b);
            case F16 -> tokens == 1 ? (a, b) -> DenseMatMul.f16MatVec(w, in, x, y, a, b)
                    : many ? (a, b) -> DenseGemm.f16(w, in, out, x, y, tokens, a, b)
                    : (a, b) -> DenseMatMul.f16MatMat(w, in, out, x, y, tokens, a, b);
            default -> throw new IllegalStateException("unreachable: dtype checked in the constructor");
        };
        // Tiny products (small models) cost less than handing work to another thread.
        if ((long) out * in * tokens < SERIAL_WORK) rows.run(0, out);
        else Parallel.forRange(out, GRAIN, rows);
        if (bias != null) {
            for (int t = 0; t < tokens; t++) {
                int o = t * out;
                for (int r = 0; r < out; r++) y[o + r] += bias[r];
            }
        }
    }

    @Override
    public long weightBytes() {
        return format().weightBytes(out, in, 0) + (bias == null ? 0 : 4L * out);
    }

    @Override
    public WeightFormat format() {
        return WeightFormat.of(Structure.DENSE, Element.of(weight.dtype()));
    }

    @Override
    public float[] denseWeight() {
        return TensorFloats.read(weight);
    }
}
