package armor.runtime.linear;

import armor.runtime.kernels.DenseGemm;
import armor.runtime.kernels.DenseMatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * A dense linear layer over a row-major {@code [out, in]} weight kept in its stored dtype (F32, F16 or BF16),
 * usually a view of the memory-mapped checkpoint. Output rows are split over {@link Parallel}. Its kernels are its
 * element's ({@link Element#dense()}), taken once when the layer is made.
 */
public final class DenseLinear implements Linear {
    /**
     * The kernels that multiply a dense weight of one float element type, plain static methods of
     * {@code armor.runtime.kernels}: one token, a few tokens (below {@code prefillTokens}), many tokens. Each
     * call covers a range of output rows, so choosing through this record costs one call per range, never one per weight.
     */
    record Kernels(MatVec decode, MatMat smallBatch, Batch prefill, int prefillTokens) {
        static final Kernels BF16 = new Kernels(DenseMatMul::bf16MatVec, DenseMatMul::bf16MatMat, DenseGemm::bf16Batch, DenseGemm.LANES_MIN_TOKENS);
        static final Kernels F16 = new Kernels(DenseMatMul::f16MatVec, DenseMatMul::f16MatMat, Batch.of(DenseGemm::f16), DenseGemm.MIN_TOKENS);
        static final Kernels F32 = new Kernels(DenseMatMul::f32MatVec, DenseMatMul::f32MatMat, Batch.of(DenseGemm::f32), DenseGemm.MIN_TOKENS);

        /** Rows [rowFrom, rowTo) of y = W x for one token. */
        interface MatVec {
            void rows(MemorySegment w, int in, float[] x, float[] y, int rowFrom, int rowTo);
        }

        /** Rows [rowFrom, rowTo) of every token's y = W x. */
        interface MatMat {
            void rows(MemorySegment w, int in, int out, float[] x, float[] y, int tokens, int rowFrom, int rowTo);
        }

        /**
         * Every token's y = W x, bound once per product (where a kernel lays x out once for all its ranges of rows),
         * then run per range of rows.
         */
        interface Batch {
            Parallel.RangeBody bind(MemorySegment w, int in, int out, float[] x, float[] y, int tokens);

            /** A kernel with nothing to do once per product. */
            static Batch of(MatMat kernel) {
                return (w, in, out, x, y, tokens) -> (rowFrom, rowTo) -> kernel.rows(w, in, out, x, y, tokens, rowFrom, rowTo);
            }
        }
    }

    /** Rows per unit of work: large enough to amortise a task, small enough to balance two to 64 cores. */
    private static final int GRAIN = 16;
    /** Multiply-adds below which a product runs on the calling thread alone (~10 µs of work). */
    private static final long SERIAL_WORK = 1 << 16;

    private final Tensor weight;
    private final Kernels kernels;
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
        Element element = Element.of(weight.dtype());
        if (element == null || element.dense() == null) {
            throw new CheckpointException("tensor " + weight.name() + ": dtype " + weight.dtype()
                    + ", expected " + Element.dtypes(e -> e.dense() != null));
        }
        this.weight = weight;
        this.kernels = element.dense();
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
        Parallel.RangeBody rows;
        if (tokens == 1) {
            Kernels.MatVec k = kernels.decode();
            rows = (a, b) -> k.rows(w, in, x, y, a, b);
        } else if (tokens >= kernels.prefillTokens()) {
            rows = kernels.prefill().bind(w, in, out, x, y, tokens);
        } else {
            Kernels.MatMat k = kernels.smallBatch();
            rows = (a, b) -> k.rows(w, in, out, x, y, tokens, a, b);
        }
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
