package armor.runtime.cuda;

import armor.runtime.linear.WeightFormat;

/**
 * A linear layer resident on the GPU: {@code y = W x} for {@code tokens} rows, x in bf16 ({@code bucket × in},
 * row-major), y in float32 ({@code bucket × out}); the bucket is {@link BatchBuckets#bucket}(tokens) and the padding
 * rows of x are zero. Weights are uploaded (and for 2:4, compressed) once, at construction.
 */
public sealed interface CudaLinear extends AutoCloseable permits CudaLinear.Dense, CudaLinear.TwoFour, CudaLinear.Armor {
    int inFeatures();

    int outFeatures();

    /** The layer's row of the {@link WeightFormat} table (a bf16 one: the GPU path's operand type). */
    WeightFormat format();

    /** "dense", "2:4" or "armor", as {@link armor.runtime.linear.Linear#kind()}. */
    default String kind() {
        return format().kind();
    }

    /** Queues the product on the context's stream; {@code scratch} must hold {@link #scratchBytes}(tokens). */
    void forward(DeviceBuffer x, DeviceBuffer y, int tokens, DeviceBuffer scratch);

    /** Bytes of scratch {@link #forward} needs for {@code tokens}. */
    long scratchBytes(int tokens);

    @Override
    void close();

    /** A bf16 array on the device; nothing stays allocated if the copy fails. */
    private static DeviceBuffer upload(CudaContext cuda, short[] bf16) {
        DeviceBuffer b = cuda.allocate(2L * bf16.length);
        try {
            b.upload(bf16);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Row-major bf16 {@code out × in} weight through {@code cublasGemmEx}. */
    final class Dense implements CudaLinear {
        private final CublasGemm gemm;
        private final DeviceBuffer w;
        private final int out, in;

        public Dense(CudaContext cuda, CublasGemm gemm, short[] weightBf16, int out, int in) {
            if (weightBf16.length != (long) out * in) throw new IllegalArgumentException("dense weight: " + weightBf16.length + " values for " + out + "×" + in);
            this.gemm = gemm;
            this.w = upload(cuda, weightBf16);
            this.out = out;
            this.in = in;
        }

        public int inFeatures() {
            return in;
        }

        public int outFeatures() {
            return out;
        }

        public WeightFormat format() {
            return WeightFormat.DENSE_BF16;
        }

        public long scratchBytes(int tokens) {
            return 0;
        }

        public void forward(DeviceBuffer x, DeviceBuffer y, int tokens, DeviceBuffer scratch) {
            gemm.run(GemmShape.dense(out, in, BatchBuckets.bucket(tokens)), w, CublasGemm.CUDA_R_16BF, x,
                    CublasGemm.CUDA_R_16BF, y, CublasGemm.CUDA_R_32F);
        }

        public void close() {
            w.close();
        }
    }

    /** A 2:4 core on the sparse tensor cores (owned: closed with this); its bf16 output is widened to float32 by a kernel. */
    final class TwoFour implements CudaLinear {
        private final CudaOps ops;
        private final SparseCoreMatmul core;

        public TwoFour(CudaOps ops, SparseCoreMatmul core) {
            this.ops = ops;
            this.core = core;
        }

        public int inFeatures() {
            return core.cols();
        }

        public int outFeatures() {
            return core.rows();
        }

        public WeightFormat format() {
            return WeightFormat.TWO_FOUR_BF16;
        }

        public long scratchBytes(int tokens) {
            return scratchBytes(core.operands(), core.rows(), tokens);
        }

        /**
         * The core's bf16 output: {@link SparseCoreMatmul#rowsFor} rows, not just the batch bucket, because 8-bit
         * cores run at least 16 rows and check their buffers for them (8 tokens would otherwise throw).
         */
        static long scratchBytes(SparseCoreMatmul.Operands operands, int rows, int tokens) {
            return 2L * SparseCoreMatmul.rowsFor(operands, tokens) * rows;
        }

        public void forward(DeviceBuffer x, DeviceBuffer y, int tokens, DeviceBuffer scratch) {
            int coreRows = SparseCoreMatmul.rowsFor(core.operands(), tokens);
            DeviceBuffer yBf16 = scratch.slice(0, 2L * coreRows * core.rows());
            core.multiply(x, yBf16, tokens);
            ops.toF32(y, yBf16, BatchBuckets.bucket(tokens) * core.rows());
        }

        public void close() {
            core.close();
        }
    }

    /**
     * ARMOR: {@code y = A (core (B x))}, A and B block-diagonal (strided-batched GEMMs) with block sizes of their own
     * (A's divides the output dimension, B's the input dimension), the core 2:4.
     */
    final class Armor implements CudaLinear {
        private final CublasGemm gemm;
        private final SparseCoreMatmul core;
        private final DeviceBuffer a, b;
        private final int aBlock, bBlock;

        /**
         * Takes ownership of {@code core} (closed here if the blocks cannot be uploaded). {@code a}
         * ({@code out/aBlock × aBlock × aBlock}) and {@code b} ({@code in/bBlock × bBlock × bBlock}) are row-major
         * bf16 blocks.
         */
        public Armor(CudaContext cuda, CublasGemm gemm, SparseCoreMatmul core, short[] aBf16, int aBlock, short[] bBf16,
                     int bBlock) {
            try {
                checkBlocks(core.rows(), core.cols(), aBf16.length, aBlock, bBf16.length, bBlock);
            } catch (IllegalArgumentException e) {
                core.close();
                throw e;
            }
            this.gemm = gemm;
            this.core = core;
            this.aBlock = aBlock;
            this.bBlock = bBlock;
            DeviceBuffer aUp = null;
            try {
                aUp = upload(cuda, aBf16);
                this.b = upload(cuda, bBf16);
            } catch (RuntimeException e) {
                if (aUp != null) aUp.close();
                core.close();
                throw e;
            }
            this.a = aUp;
        }

        /** Host-side check of the block shapes, one line naming what does not fit. */
        static void checkBlocks(int out, int in, long aValues, int aBlock, long bValues, int bBlock) {
            if (aBlock <= 0 || out % aBlock != 0) {
                throw new IllegalArgumentException("ARMOR A block size " + aBlock + " does not divide the " + out + " outputs");
            }
            if (bBlock <= 0 || in % bBlock != 0) {
                throw new IllegalArgumentException("ARMOR B block size " + bBlock + " does not divide the " + in + " inputs");
            }
            if (aValues != (long) out * aBlock) {
                throw new IllegalArgumentException("ARMOR A has " + aValues + " values, expected " + (long) out * aBlock
                        + " (" + out / aBlock + " blocks of " + aBlock + "×" + aBlock + ")");
            }
            if (bValues != (long) in * bBlock) {
                throw new IllegalArgumentException("ARMOR B has " + bValues + " values, expected " + (long) in * bBlock
                        + " (" + in / bBlock + " blocks of " + bBlock + "×" + bBlock + ")");
            }
        }

        public int inFeatures() {
            return core.cols();
        }

        public int outFeatures() {
            return core.rows();
        }

        public WeightFormat format() {
            return WeightFormat.ARMOR_BF16;
        }

        public long scratchBytes(int tokens) {
            return scratchBytes(core.operands(), core.rows(), core.cols(), tokens);
        }

        /** B x and the core's output, each of {@link SparseCoreMatmul#rowsFor} rows (see {@link TwoFour}). */
        static long scratchBytes(SparseCoreMatmul.Operands operands, int rows, int cols, int tokens) {
            int coreRows = SparseCoreMatmul.rowsFor(operands, tokens);
            return 2L * coreRows * cols + 2L * coreRows * rows;
        }

        public void forward(DeviceBuffer x, DeviceBuffer y, int tokens, DeviceBuffer scratch) {
            int bucket = BatchBuckets.bucket(tokens), coreRows = SparseCoreMatmul.rowsFor(core.operands(), tokens);
            DeviceBuffer bx = scratch.slice(0, 2L * coreRows * core.cols());
            DeviceBuffer cbx = scratch.slice(bx.bytes(), 2L * coreRows * core.rows());
            gemm.run(GemmShape.blockDiagonal(core.cols() / bBlock, bBlock, bucket), b, CublasGemm.CUDA_R_16BF, x,
                    CublasGemm.CUDA_R_16BF, bx, CublasGemm.CUDA_R_16BF);
            core.multiply(bx, cbx, tokens);
            gemm.run(GemmShape.blockDiagonal(core.rows() / aBlock, aBlock, bucket), a, CublasGemm.CUDA_R_16BF, cbx,
                    CublasGemm.CUDA_R_16BF, y, CublasGemm.CUDA_R_32F);
        }

        public void close() {
            core.close();
            a.close();
            b.close();
        }
    }
}
