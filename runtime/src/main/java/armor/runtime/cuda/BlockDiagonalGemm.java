package armor.runtime.cuda;

/**
 * ARMOR's block-diagonal A and B as one cuBLAS strided-batched GEMM ({@code cublasGemmStridedBatchedEx}, column-major
 * as cuBLAS is): batch k computes block k of {@code Y = M X} for all tokens at once.
 *
 * <p>Activations are row-major {@code tokens × dim}, which cuBLAS reads as a column-major {@code dim × tokens} matrix
 * with leading dimension {@code dim}; block k of it starts at element {@code k·b} (stride {@code b} between batches,
 * leading dimension still {@code dim}). The blocks are stored row-major {@code (blocks, b, b)}, i.e. each is the
 * column-major transpose, so A is used with {@code op = T} and leading dimension {@code b}, stride {@code b²}.
 * Strides smaller than a matrix's extent are fine here: the batches touch disjoint rows of X and Y.
 */
public record BlockDiagonalGemm(boolean transA, boolean transB, int m, int n, int k, int lda, long strideA, int ldb,
                                long strideB, int ldc, long strideC, int batchCount) {
    /** Y (tokens × blocks·b) = X (tokens × blocks·b) with every block row-major {@code M_k} applied. */
    public static BlockDiagonalGemm forTokens(int blocks, int b, int tokens) {
        if (blocks <= 0 || b <= 0 || tokens <= 0) {
            throw new IllegalArgumentException("block-diagonal GEMM of " + blocks + " blocks of " + b + " for " + tokens + " tokens");
        }
        int dim = Math.multiplyExact(blocks, b);
        return new BlockDiagonalGemm(true, false, b, tokens, b, b, (long) b * b, dim, b, dim, b, blocks);
    }
}
