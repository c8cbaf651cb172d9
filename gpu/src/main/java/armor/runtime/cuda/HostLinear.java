package armor.runtime.cuda;

import armor.cuda.CusparseLtHandle;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Structure;
import armor.runtime.linear.WeightFormat;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A projection's weights read from a checkpoint into the form the GPU layers upload, for the formats whose
 * {@link WeightFormat#gpu()} says the GPU runs them: bf16 values (the GPU path's
 * operand type: bf16 checkpoints are taken bit for bit, f16 and f32 ones are rounded once here), the 2:4 core
 * expanded for compression, ARMOR's blocks, and the bias in float32. Tensor names as in docs/checkpoint-format.md:
 * {@code P.weight}, or {@code P.sparse_values} + {@code P.sparse_meta} (+ {@code P.armor_a}, {@code P.armor_b}).
 *
 * <p>One record per {@link Structure}, each reading and uploading its own: the GPU layers live in this module, which
 * depends on the runtime and not the other way, so the runtime's {@link WeightFormat} table cannot hold them; its
 * {@link WeightFormat#gpu()} says which rows reach here, and {@link #load}'s switch over the structure is the one
 * place this module chooses by kind (exhaustive: a new structure does not compile until it has a record here).
 */
public sealed interface HostLinear {
    int out();

    int in();

    /** The bias, or null. */
    float[] bias();

    /** The layer on the GPU made from these values (a 2:4 core compressed there by cuSPARSELt). */
    CudaLinear upload(CudaContext cuda, CublasGemm gemm, CudaOps ops, CusparseLtHandle sparse);

    /** Row-major {@code out × in}. */
    record Dense(short[] weight, int out, int in, float[] bias) implements HostLinear {
        @Override
        public CudaLinear upload(CudaContext cuda, CublasGemm gemm, CudaOps ops, CusparseLtHandle sparse) {
            return new CudaLinear.Dense(cuda, gemm, weight, out, in);
        }
    }

    /** {@code dense}: the core as a dense row-major matrix with zeros ({@link SparseCoreOperand}). */
    record TwoFour(short[] dense, int out, int in, float[] bias) implements HostLinear {
        @Override
        public CudaLinear upload(CudaContext cuda, CublasGemm gemm, CudaOps ops, CusparseLtHandle sparse) {
            return new CudaLinear.TwoFour(ops, SparseCoreMatmul.load(sparse, cuda, dense, out, in));
        }
    }

    /**
     * The core plus A ({@code out/aBlock} blocks of {@code aBlock × aBlock}) and B ({@code in/bBlock} blocks of
     * {@code bBlock × bBlock}), row-major; the pruner gives A and B their own block sizes (stories260K: 64, 32, 4).
     */
    record Armor(short[] dense, short[] a, int aBlock, short[] b, int bBlock, int out, int in, float[] bias) implements HostLinear {
        @Override
        public CudaLinear upload(CudaContext cuda, CublasGemm gemm, CudaOps ops, CusparseLtHandle sparse) {
            return new CudaLinear.Armor(cuda, gemm,  // owns the core, frees it if the blocks fail
                    SparseCoreMatmul.load(sparse, cuda, dense, out, in), a, aBlock, b, bBlock);
        }
    }

    ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static HostLinear load(WeightSource w, String prefix, int in, int out) {
        float[] bias = null;
        if (w.has(prefix + ".bias")) {
            Tensor b = shaped(w, prefix + ".bias", out);
            bias = TensorFloats.read(b);
        }
        WeightFormat format = WeightFormat.recognise(w, prefix);
        if (format != null && !format.gpu()) {
            throw new CheckpointException(w.origin() + ": tensor " + prefix + format.structure().mainSuffix() + " is "
                    + format.element().dtype() + " (" + format.kind() + "); the GPU path runs " + WeightFormat.gpuFormats());
        }
        // no row (tensors missing): the dense reader names the missing P.weight
        return switch (format == null ? Structure.DENSE : format.structure()) {
            case DENSE -> new Dense(bf16(shaped(w, prefix + ".weight", out, in)), out, in, bias);
            case TWO_FOUR -> new TwoFour(core(w, prefix, in, out), out, in, bias);
            case ARMOR -> {
                short[] dense = core(w, prefix, in, out);
                Tensor a = blocks(w, prefix + ".armor_a", out);
                Tensor b = blocks(w, prefix + ".armor_b", in);
                yield new Armor(dense, bf16(a), a.dim(1), bf16(b), b.dim(1), out, in, bias);
            }
        };
    }

    /** The 2:4 core {@code P.sparse_values} + {@code P.sparse_meta} expanded to a dense bf16 matrix with zeros. */
    private static short[] core(WeightSource w, String prefix, int in, int out) {
        Tensor values = shaped(w, prefix + ".sparse_values", out, in / 2);
        Tensor meta = shaped(w, prefix + ".sparse_meta", out, (in / 4 + 1) / 2);
        return SparseCoreOperand.expand(values.data(), meta.data(), out, in, DType.BF16, prefix);
    }

    /** A block-diagonal factor {@code [dim/k, k, k]} with its own block size k dividing {@code dim}. */
    private static Tensor blocks(WeightSource w, String name, int dim) {
        if (!w.has(name)) throw new CheckpointException(w.origin() + ": missing tensor " + name);
        Tensor t = w.tensor(name);
        int k = t.rank() == 3 ? t.dim(1) : -1;
        if (k <= 0 || dim % k != 0 || t.dim(0) != dim / k || t.dim(2) != k) {
            throw new CheckpointException(w.origin() + ": tensor " + name + " has shape " + t.shapeString()
                    + ", expected [" + dim + "/k, k, k] with a block size k dividing " + dim);
        }
        return t;
    }

    private static Tensor shaped(WeightSource w, String name, long... shape) {
        if (!w.has(name)) throw new CheckpointException(w.origin() + ": missing tensor " + name);
        Tensor t = w.tensor(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(w.origin() + ": tensor " + name + " has shape " + t.shapeString()
                    + ", expected " + java.util.Arrays.toString(shape));
        }
        return t;
    }

    /** A tensor's values as bf16: bf16 bit for bit, f16 and f32 rounded to nearest even. */
    static short[] bf16(Tensor t) {
        short[] out = new short[Math.toIntExact(t.elementCount())];
        MemorySegment data = t.data();
        if (t.dtype() == DType.BF16) {
            MemorySegment.copy(data, LE_SHORT, 0, out, 0, out.length);
            return out;
        }
        float[] f = TensorFloats.read(t);
        for (int i = 0; i < out.length; i++) out[i] = HalfFloat.floatToBf16(f[i]);
        return out;
    }
}
