package armor.runtime.linear;

import armor.runtime.kernels.DenseGemm;
import armor.runtime.kernels.DenseInt8MatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8Matrix;

import java.util.Arrays;

/**
 * A dense linear layer over an int8 weight with group scales ({@link Int8Matrix}, {@code [out, in]}), kept in the
 * Java heap so that decode streams it from 2 MiB pages, its codes repacked four rows interleaved
 * ({@link DenseInt8MatMul#pack}) so that a decode pass reads one sequential stream. Output rows are split over
 * {@link Parallel}; activations stay float32 and the codes are widened in registers (docs/benchmarks.md has the
 * measurement that chose this over quantizing the activations).
 */
public final class DenseInt8Linear implements Linear {
    /** Rows per unit of work (as {@link DenseLinear}). */
    private static final int GRAIN = 16;
    /** Multiply-adds below which a product runs on the calling thread alone. */
    private static final long SERIAL_WORK = 1 << 16;

    private final int rows, cols, group;
    /** The codes, in {@link DenseInt8MatMul#pack}'s layout when {@link #packed}, else row-major. */
    private final byte[] codes;
    private final boolean packed;
    private final float[] scales;
    private final float[] bias;

    /** @param bias {@code out} floats, or null */
    public DenseInt8Linear(Int8Matrix weight, float[] bias) {
        if (bias != null && bias.length != weight.rows())
            throw new IllegalArgumentException("int8 linear: bias has " + bias.length + " entries, expected " + weight.rows());
        this.rows = weight.rows();
        this.cols = weight.cols();
        this.group = weight.groupSize();
        this.packed = DenseInt8MatMul.packable(cols, group);
        this.codes = packed ? DenseInt8MatMul.pack(weight.values(), rows, cols) : weight.values();
        // the packed layout's padding rows (up to a whole block of four) get scale 0, so a pass reads no foreign scale
        int paddedRows = (rows + DenseInt8MatMul.PACK_ROWS - 1) / DenseInt8MatMul.PACK_ROWS * DenseInt8MatMul.PACK_ROWS;
        this.scales = packed ? Arrays.copyOf(weight.scales(), paddedRows * weight.groupsPerRow()) : weight.scales();
        this.bias = bias;
    }

    /** The int8 weight (row-major codes and scales). */
    public Int8Matrix weight() {
        return new Int8Matrix(rows, cols, group, packed ? DenseInt8MatMul.unpack(codes, rows, cols) : codes,
                Arrays.copyOf(scales, rows * (cols / group)));
    }

    /** Row r dequantized into {@code dst[off .. off+in)}: an int8 embedding's lookup through its tied head. */
    public void row(int r, float[] dst, int off) {
        DenseInt8MatMul.dequantizeRow(codes, packed, scales, cols, group, r, dst, off);
    }

    /** The bias, or null. */
    public float[] bias() {
        return bias;
    }

    @Override
    public float[] denseWeight() {
        return weight().dequantize();
    }

    @Override
    public int inFeatures() {
        return cols;
    }

    @Override
    public int outFeatures() {
        return rows;
    }

    @Override
    public void forward(float[] x, float[] y, int tokens) {
        byte[] q = codes;
        float[] s = scales;
        int in = cols, out = rows, g = group;
        if (tokens == 1 && packed) {
            int blocks = (out + DenseInt8MatMul.PACK_ROWS - 1) / DenseInt8MatMul.PACK_ROWS;
            Parallel.RangeBody body = (a, b) -> DenseInt8MatMul.packedMatVec(q, s, out, in, g, x, y, a, b);
            if ((long) out * in < SERIAL_WORK) body.run(0, blocks);
            else Parallel.forRange(blocks, GRAIN / DenseInt8MatMul.PACK_ROWS, body);
        } else if (tokens >= DenseGemm.MIN_TOKENS) {
            // prefill: panels dequantized once and run through the float tiles of the float formats
            boolean p = packed;
            DenseGemm.Panel panel = (r0, n, k0, kc, buf) -> DenseInt8MatMul.dequantizePanel(q, p, s, in, g, r0, n, k0, kc, buf);
            Parallel.forRange(out, GRAIN, (a, b) -> DenseGemm.multiply(panel, in, out, x, y, tokens, a, b));
        } else {
            boolean p = packed;
            Parallel.RangeBody body = tokens == 1
                    ? (a, b) -> DenseInt8MatMul.matVec(q, s, in, g, x, 0, y, 0, a, b)
                    : (a, b) -> DenseInt8MatMul.matMat(q, p, s, in, g, x, 0, in, y, 0, out, tokens, a, b);
            if ((long) out * in * tokens < SERIAL_WORK) body.run(0, out);
            else Parallel.forRange(out, GRAIN, body);
        }
        if (bias != null) Sparse24Linear.addBias(y, bias, tokens);
    }

    @Override
    public long weightBytes() {
        return WeightFormat.DENSE_INT8.weightBytes(rows, cols, group) + (bias == null ? 0 : 4L * rows);
    }

    @Override
    public WeightFormat format() {
        return WeightFormat.DENSE_INT8;
    }
}
