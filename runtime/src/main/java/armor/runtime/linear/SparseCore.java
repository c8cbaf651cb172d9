package armor.runtime.linear;

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

    /** A zeroed input row as the decode kernel reads it (padded past {@link #cols()}), for a caller that fills it itself. */
    float[] inputBuffer();

    /** Single-threaded decode of row blocks [rbFrom, rbTo) ({@link #blockRows()} rows each); {@code xp} as {@link #inputBuffer()} lays it out. */
    void decodeRowBlocks(float[] xp, float[] y, int yOff, int rbFrom, int rbTo);

    /** Y = X Cᵀ for {@code tokens} rows of x (row-major, {@link #cols()} wide) into y ({@link #rows()} wide), split over the pool. */
    void multiply(float[] x, float[] y, int tokens);

    /** Bytes of packed values, scales and positions read per token, as the {@link WeightFormat} table counts them. */
    long bytes();

    /** The core in the checkpoint's layout, values dequantized or widened to float32. */
    Sparse24Core toCore();

    /** The row of a layer of {@code structure} (2:4 or ARMOR) around this core. */
    WeightFormat format(Structure structure);
}
