package armor.runtime.kernels;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dense weights times many tokens (prefill, the pruner's calibration passes, batches of generated sequences):
 * {@code y[t·out + r] = Σ_k x[t·in + k] · W[r][k]} for rows [rowFrom, rowTo) and every token.
 *
 * <p>The dot-product kernels of {@link DenseMatMul} keep each (row, token) in its own accumulator and load a weight
 * vector and an x vector for every one or two FMAs; with many tokens the product is arithmetic-bound and those
 * loads, widenings and bounds checks are the limit. Here a panel of {@link #ROWS} rows × {@link #KC} columns is
 * dequantized once into float32, transposed ({@code panel[k·rows + r]}), and {@link BlockGemm}'s register tiles
 * (6 tokens × 2 vectors of rows on AVX2, 8 × 2 on AVX-512) run every token through it while it sits in L1/L2: each
 * weight is converted once per call instead of once per four tokens, and the tiles issue two loads and one
 * broadcast per twelve FMAs. The transposing fill costs about five cycles a weight, so it pays only from
 * {@link #MIN_TOKENS} tokens; bf16 batches of 16–127 tokens take {@link #bf16Lanes} instead (tokens in lanes, the
 * weights widened without a transpose).
 *
 * <p>Each output is one fused multiply-add chain over k in order, whatever the tile or the thread count, so the
 * result depends on the rows' split into {@link Parallel} chunks only through which rows fall in the scalar tail,
 * and that is fixed by the chunks' boundaries being multiples of 16.
 */
public final class DenseGemm {
    /** Rows per panel: four 2-vector column tiles of BlockGemm at 256 bits, two at 512. */
    public static final int ROWS = 64;
    /** Columns (k) per panel: 64 × 256 floats = 64 KiB, in L2 beside the tokens' slices of x. */
    public static final int KC = 256;
    /**
     * Fewer tokens than this take the small-batch kernels ({@link DenseMatMul}'s, {@link DenseInt8MatMul#matMat},
     * {@link DenseInt4MatMul#blockTimesTokens}): the panel's conversion, a scalar transposing loop of about five
     * cycles a weight for the float rows, does not pay off. bench-layers (llama-3.2-1b layer, AVX2 EPYC, 2 threads):
     * bf16 at 16 tokens 70.2 ms through the panels against 29.1 ms before them, at 32 tokens 100 against 62, at 64
     * 124 against 119; at 512 tokens (whole-model prefill) the panels win, 37.6 against 26.8 tokens/s.
     */
    public static final int MIN_TOKENS = 64;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private DenseGemm() {}

    /** Weights in float32, row-major {@code out × in}. */
    public static void f32(MemorySegment w, int in, int out, float[] x, float[] y, int tokens, int rowFrom, int rowTo) {
        multiply((r0, rows, k0, kc, panel) -> {
            for (int j = 0; j < rows; j++) {
                long first = (long) (r0 + j) * in + k0;
                for (int k = 0; k < kc; k++) panel[k * rows + j] = w.get(FLOAT, 4 * (first + k));
            }
        }, in, out, x, y, tokens, rowFrom, rowTo);
    }

    /** Weights in bfloat16, row-major {@code out × in}. */
    public static void bf16(MemorySegment w, int in, int out, float[] x, float[] y, int tokens, int rowFrom, int rowTo) {
        multiply((r0, rows, k0, kc, panel) -> {
            for (int j = 0; j < rows; j++) {
                long first = (long) (r0 + j) * in + k0;
                for (int k = 0; k < kc; k++) panel[k * rows + j] = Float.intBitsToFloat(w.get(SHORT, 2 * (first + k)) << 16);
            }
        }, in, out, x, y, tokens, rowFrom, rowTo);
    }

    /** Weights in IEEE half floats, row-major {@code out × in}. */
    public static void f16(MemorySegment w, int in, int out, float[] x, float[] y, int tokens, int rowFrom, int rowTo) {
        multiply((r0, rows, k0, kc, panel) -> {
            for (int j = 0; j < rows; j++) {
                long first = (long) (r0 + j) * in + k0;
                for (int k = 0; k < kc; k++) panel[k * rows + j] = Float.float16ToFloat(w.get(SHORT, 2 * (first + k)));
            }
        }, in, out, x, y, tokens, rowFrom, rowTo);
    }

    /**
     * Tokens from which {@link #bf16Batch} takes {@link #bf16Lanes} instead of the small-batch kernel, and up to which
     * (exclusive) it keeps it before {@link #bf16}'s panels. bench-layers (llama-3.2-1b layer, AVX2 EPYC, 2 threads),
     * bf16 whole layer: 16 tokens 26.4 ms against 29.2 (small batch); 64 tokens 89.8 against 110.7 (panels); 256 tokens
     * 376 against 329 (panels: the token lanes of x outgrow L1 there; measured with x transposed per row range, since
     * moved to once per product).
     */
    public static final int LANES_MIN_TOKENS = 16, LANES_MAX_TOKENS = 128;
    /** Vector lanes of {@link DenseMatMul#bf16Wide}: the row conversion's step. */
    private static final int WL = Sparse24Kernels.PF.length();
    /** Rows per panel of {@link #bf16Lanes}. */
    private static final int LANE_ROWS = 48;
    /** Tokens are padded to a multiple of this in {@link #bf16Lanes}: two vectors, BlockGemm's tile width. */
    private static final int TOKEN_PAD = 2 * FloatVector.SPECIES_PREFERRED.length();

    /**
     * Weights in bfloat16 times {@link #LANES_MIN_TOKENS} tokens or more, bound once per product and run per range of
     * rows: token lanes below {@link #LANES_MAX_TOKENS} (x transposed here, once for every range), else panels.
     */
    public static Parallel.RangeBody bf16Batch(MemorySegment w, int in, int out, float[] x, float[] y, int tokens) {
        if (tokens >= LANES_MAX_TOKENS) return (rowFrom, rowTo) -> bf16(w, in, out, x, y, tokens, rowFrom, rowTo);
        int tp = (tokens + TOKEN_PAD - 1) / TOKEN_PAD * TOKEN_PAD;
        float[] xT = new float[in * tp];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < in; k++) xT[k * tp + t] = x[t * in + k];
        return (rowFrom, rowTo) -> bf16Lanes(w, in, out, xT, tp, y, tokens, rowFrom, rowTo);
    }

    /**
     * Weights in bfloat16 times a batch of tokens with the tokens in vector lanes, from x transposed by {@link #bf16Batch}
     * ({@code xT[k·tp + t]}, tokens padded to {@code tp}): each panel of {@link #LANE_ROWS} rows × {@link #KC} columns is
     * widened to float32 row by row (contiguous vector loads, no transpose: about half a cycle a weight, against five
     * for the transposing fill of {@link #multiply}), and {@link BlockGemm}'s tiles run rows × token vectors. Pays from
     * fewer tokens than {@link #bf16} (see {@link #LANES_MIN_TOKENS}).
     */
    public static void bf16Lanes(MemorySegment w, int in, int out, float[] xT, int tp, float[] y, int tokens, int rowFrom,
                                 int rowTo) {
        float[] panel = new float[LANE_ROWS * KC], acc = new float[LANE_ROWS * tp];
        for (int r0 = rowFrom; r0 < rowTo; r0 += LANE_ROWS) {
            int rows = Math.min(LANE_ROWS, rowTo - r0);
            for (int k0 = 0; k0 < in; k0 += KC) {
                int kc = Math.min(KC, in - k0);
                for (int j = 0; j < rows; j++) {
                    long first = (long) (r0 + j) * in + k0;
                    int d = j * kc, k = 0;
                    for (; k + WL <= kc; k += WL) DenseMatMul.bf16Wide(w, 2 * (first + k)).intoArray(panel, d + k);
                    for (; k < kc; k++) panel[d + k] = HalfFloat.bf16ToFloat(w.get(SHORT, 2 * (first + k)));
                }
                BlockGemm.gemm(rows, tp, kc, panel, 0, kc, 1, xT, k0 * tp, tp, acc, 0, tp, k0 > 0);
            }
            for (int j = 0; j < rows; j++)
                for (int t = 0; t < tokens; t++) y[t * out + r0 + j] = acc[j * tp + t];
        }
    }

    /**
     * A weight format's conversion of one panel to float32: {@code panel[k·rows + j] = W[r0 + j][k0 + k]} for
     * {@code j < rows}, {@code k < kc}. Called once per panel, outside the FMA tiles; quantized formats (int8, int4)
     * dequantize here and share the tiles with the float ones.
     */
    @FunctionalInterface
    public interface Panel {
        void fill(int r0, int rows, int k0, int kc, float[] panel);
    }

    /**
     * Rows [rowFrom, rowTo) of a weight whose panels {@code weights} converts, times every token:
     * {@code y[t·out + r] = Σ_k x[t·in + k] · W[r][k]}.
     */
    public static void multiply(Panel weights, int in, int out, float[] x, float[] y, int tokens, int rowFrom, int rowTo) {
        float[] panel = new float[KC * ROWS];
        for (int r0 = rowFrom; r0 < rowTo; r0 += ROWS) {
            int rows = Math.min(ROWS, rowTo - r0);
            for (int k0 = 0; k0 < in; k0 += KC) {
                int kc = Math.min(KC, in - k0);
                weights.fill(r0, rows, k0, kc, panel);
                BlockGemm.gemm(tokens, rows, kc, x, k0, in, 1, panel, 0, rows, y, r0, out, k0 > 0);
            }
        }
    }
}
