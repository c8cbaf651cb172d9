package armor.runtime.cuda;

/**
 * The arguments of one cuBLAS (strided-batched) GEMM, column-major as cuBLAS is, for the two products the GPU path
 * runs through cuBLAS. Activations are row-major {@code tokens × features}, which cuBLAS reads as column-major
 * {@code features × tokens} with leading dimension {@code features}; weights are row-major, i.e. the column-major
 * transpose, so they are used with {@code op = T}.
 *
 * <ul>
 *   <li>{@link #dense}: {@code Y = W X} for a dense {@code out × in} weight ({@code cublasGemmEx}, one batch).</li>
 *   <li>{@link #blockDiagonal}: ARMOR's A or B, {@code blocks} row-major {@code b × b} blocks, as one
 *       strided-batched GEMM: batch k multiplies block k (stride {@code b²}) with rows {@code k·b …} of every token
 *       (stride {@code b}, leading dimension still the full width). Strides smaller than a matrix's extent are fine:
 *       the batches touch disjoint rows of X and Y.</li>
 * </ul>
 */
public record GemmShape(boolean transA, boolean transB, int m, int n, int k, int lda, long strideA, int ldb,
                        long strideB, int ldc, long strideC, int batchCount) {
    public static GemmShape dense(int out, int in, int tokens) {
        positive(out, in, tokens);
        return new GemmShape(true, false, out, tokens, in, in, 0, in, 0, out, 0, 1);
    }

    public static GemmShape blockDiagonal(int blocks, int b, int tokens) {
        positive(blocks, b, tokens);
        int dim = Math.multiplyExact(blocks, b);
        return new GemmShape(true, false, b, tokens, b, b, (long) b * b, dim, b, dim, b, blocks);
    }

    private static void positive(int a, int b, int c) {
        if (a <= 0 || b <= 0 || c <= 0) throw new IllegalArgumentException("GEMM shape " + a + ", " + b + ", " + c);
    }
}
