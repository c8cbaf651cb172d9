package armor.runtime.linear;

import armor.runtime.kernels.Parallel;

/**
 * The 2:4 core of a {@link Sparse24Linear} or an {@link ArmorLinear}: kept values in one element type with their
 * positions, repacked for its kernels, and what a layer around it needs from it. One implementation per storage:
 * {@link Sparse24Matrix} (bf16, f16, f32 values), {@link Sparse24Int8Matrix} (int8 values) and {@link Sparse24Int4Matrix}
 * (4-bit codes); the element is the
 * {@link WeightFormat} row's, the layer the row's structure.
 */
public sealed interface SparseCore permits Sparse24Matrix, Sparse24Int8Matrix, Sparse24Int4Matrix {
    int rows();

    int cols();

    /** Rows per row block of {@link #decodeRowBlocks}. */
    int blockRows();

    /** Length of an input row as the decode kernels read it: {@link #cols()} padded with zeros. */
    int paddedCols();

    /** A zeroed input row as the decode kernel reads it ({@link #paddedCols()} long), for a caller that fills it itself. */
    default float[] inputBuffer() {
        return new float[paddedCols()];
    }

    /** Single-threaded decode of row blocks [rbFrom, rbTo) ({@link #blockRows()} rows each); {@code xp} as {@link #inputBuffer()} lays it out. */
    void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo);

    /**
     * Single-threaded four-token decode of row block rb: token q's padded input at {@code xp[xOff + q·paddedCols() ..]},
     * its output at {@code y[yOff + q·rows() ..]}. Only for a core whose type has such a kernel (see {@link #multiply}).
     */
    void decodeFourRowBlock(float[] xp, int xOff, float[] y, int yOff, int rb);

    /**
     * Tokens [t0, t0 + 4·quads) of x (row-major, {@link #cols()} wide) through {@link #decodeFourRowBlock}, split over the
     * pool by row blocks, each row block outermost: its weights stay in cache while every quad of tokens reads them.
     */
    default void multiplyInFours(float[] x, float[] y, int t0, int quads) {
        int cp = paddedCols(), cols = cols(), rows = rows();
        float[] xp = new float[4 * quads * cp];
        for (int t = 0; t < 4 * quads; t++) System.arraycopy(x, (t0 + t) * cols, xp, t * cp, cols);
        Parallel.forRange((rows + blockRows() - 1) / blockRows(), 2, (from, to) -> {
            for (int rb = from; rb < to; rb++)
                for (int q = 0; q < quads; q++) decodeFourRowBlock(xp, 4 * q * cp, y, (t0 + 4 * q) * rows, rb);
        });
    }

    /** Y = X Cᵀ for {@code tokens} rows of x (row-major, {@link #cols()} wide) into y ({@link #rows()} wide), split over the pool. */
    void multiply(float[] x, float[] y, int tokens);

    /** Bytes of packed values, scales and positions read per token, as the {@link WeightFormat} table counts them. */
    long bytes();

    /** The core in the checkpoint's layout, values dequantized or widened to float32. */
    Sparse24Core toCore();

    /** The row of a layer of {@code structure} (2:4 or ARMOR) around this core. */
    WeightFormat format(Structure structure);
}
