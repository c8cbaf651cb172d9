package armor.runtime.linear;

import armor.runtime.kernels.DenseGemm;
import armor.runtime.kernels.DenseInt4MatMul;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Tensors;

/**
 * A dense linear layer over 4-bit codes with group scales and optional zero points ({@link Int4Matrix}), repacked at
 * load into {@link DenseInt4MatMul}'s layout (compressed-tensors' words, {@link DenseInt4MatMul#ROWS} rows in the
 * lanes) in the Java heap. One token runs the decode kernel over row blocks split across {@link Parallel}; a few
 * tokens run it token by token; a small batch dequantizes each row block once and multiplies it with every token;
 * prefill ({@link #PANEL_TOKENS} and more) dequantizes panels for {@link DenseGemm}'s float tiles.
 */
public final class DenseInt4Linear implements Linear {
    /** Tokens from which a batch dequantizes row blocks instead of decoding token by token. */
    private static final int BATCH_TOKENS = 4;
    /**
     * Tokens from which a batch goes through {@link DenseGemm}'s panels: 16, not {@link DenseGemm#MIN_TOKENS}, because
     * the 4-bit panel is dequantized with rows in vector lanes (one store a nibble), not by the float rows' scalar
     * transposing loop. bench-layers (llama-3.2-1b layer, AVX2 EPYC): 16 tokens 29.7 ms through the panels against 40.8
     * through the row blocks, 32 tokens 58.5 against 53.6.
     */
    static final int PANEL_TOKENS = 16;
    /** Row blocks per unit of parallel work in prefill: one panel of {@link DenseGemm}. */
    private static final int PANEL_BLOCKS = DenseGemm.ROWS / DenseInt4MatMul.ROWS;
    /** Row blocks per unit of parallel work in decode. */
    private static final int GRAIN = 2;

    private final int rows, cols, group, words, groups, wordsPerGroup, rowBlocks;
    private final int[] codes;
    private final float[] scales, offsets;
    /** Row-major zero points (rows × groups), or null when symmetric: for {@link #weight()}. */
    private final byte[] zeroPoints;
    private final float[] bias;

    /** @param bias {@code out} floats, or null */
    public DenseInt4Linear(Int4Matrix weight, float[] bias) {
        if (bias != null && bias.length != weight.rows())
            throw new IllegalArgumentException("int4 linear: bias has " + bias.length + " entries, expected " + weight.rows());
        if (weight.groupSize() != weight.cols() && weight.groupSize() % DenseInt4MatMul.COLS != 0)
            throw new IllegalArgumentException("int4 linear: groups of " + weight.groupSize() + " columns, expected a multiple of 8 or the whole row");
        int R = DenseInt4MatMul.ROWS;
        this.rows = weight.rows();
        this.cols = weight.cols();
        this.group = weight.groupSize();
        this.words = Int4Tensors.words(cols);
        this.groups = weight.groupsPerRow();
        this.wordsPerGroup = group == cols ? words : group / DenseInt4MatMul.COLS;
        this.rowBlocks = (rows + R - 1) / R;
        this.zeroPoints = weight.zeroPoints();
        this.bias = bias;
        int[] packed = Int4Tensors.pack(weight.codes(), rows, cols);
        this.codes = new int[rowBlocks * words * R];
        this.scales = new float[rowBlocks * groups * R];
        this.offsets = new float[scales.length];
        for (int r = 0; r < rows; r++) {
            int rb = r / R, lane = r % R;
            for (int j = 0; j < words; j++) codes[(rb * words + j) * R + lane] = packed[r * words + j];
            for (int g = 0; g < groups; g++) {
                float s = weight.scales()[r * groups + g];
                scales[(rb * groups + g) * R + lane] = s;
                offsets[(rb * groups + g) * R + lane] = s * (weight.zero(r, g) + 8); // the stored code is q + 8
            }
        }
    }

    /** The 4-bit weight (row-major codes, scales, zero points). */
    public Int4Matrix weight() {
        int R = DenseInt4MatMul.ROWS;
        byte[] q = new byte[rows * cols];
        float[] s = new float[rows * groups];
        for (int r = 0; r < rows; r++) {
            int rb = r / R, lane = r % R;
            for (int c = 0; c < cols; c++)
                q[r * cols + c] = (byte) (((codes[(rb * words + c / 8) * R + lane] >>> (4 * (c % 8))) & 15) - 8);
            for (int g = 0; g < groups; g++) {
                s[r * groups + g] = scales[(rb * groups + g) * R + lane];
            }
        }
        return new Int4Matrix(rows, cols, group, q, s, zeroPoints);
    }

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
        if (tokens < BATCH_TOKENS) {
            float[] xs = new float[words * DenseInt4MatMul.COLS], sums = new float[groups];
            for (int t = 0; t < tokens; t++) {
                DenseInt4MatMul.prepareInput(x, t * cols, cols, group, xs, sums);
                int yOff = t * rows;
                Parallel.forRange(rowBlocks, GRAIN, (a, b) -> DenseInt4MatMul.decode(codes, scales, offsets, words, groups,
                        wordsPerGroup, xs, sums, y, yOff, rows, a, b));
            }
        } else if (tokens >= PANEL_TOKENS) {
            // prefill: panels of 64 rows dequantized once and run through the float tiles (x's slices stay in L2)
            DenseGemm.Panel panel = (r0, n, k0, kc, buf) -> DenseInt4MatMul.dequantizePanel(codes, scales, offsets, words,
                    groups, wordsPerGroup, r0, n, k0, kc, buf);
            int R = DenseInt4MatMul.ROWS;
            Parallel.forRange(rowBlocks, PANEL_BLOCKS, (a, b) ->
                    DenseGemm.multiply(panel, cols, rows, x, y, tokens, a * R, Math.min(rows, b * R)));
        } else {
            Parallel.forRange(rowBlocks, 1, (a, b) -> {
                float[] wT = new float[words * DenseInt4MatMul.COLS * DenseInt4MatMul.ROWS];
                for (int rb = a; rb < b; rb++) {
                    DenseInt4MatMul.dequantizeBlock(codes, scales, offsets, words, groups, wordsPerGroup, rb, wT);
                    DenseInt4MatMul.blockTimesTokens(wT, cols, x, cols, tokens, y, 0, rows, rb * DenseInt4MatMul.ROWS, rows);
                }
            });
        }
        if (bias != null) Sparse24Linear.addBias(y, bias, tokens);
    }

    @Override
    public long weightBytes() {
        return WeightFormat.DENSE_INT4.weightBytes(rows, cols, group) + (zeroPoints == null ? 0 : (long) rows * groups / 2)
                + (bias == null ? 0 : 4L * rows);
    }

    @Override
    public WeightFormat format() {
        return WeightFormat.DENSE_INT4;
    }
}
