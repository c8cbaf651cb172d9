package armor.runtime.quant;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.Conversions;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A float checkpoint (dense, 2:4 or ARMOR) seen as its int8 version, tensor by tensor (docs/checkpoint-format.md):
 * every matrix a linear layer reads — a projection's {@code P.weight}, {@code P.sparse_values}, {@code P.armor_a},
 * {@code P.armor_b}, the untied {@code lm_head.weight} and, unless kept, {@code model.embed_tokens.weight} — becomes
 * int8 with a {@code NAME_scale} tensor beside it; metadata, norms and biases pass through. This one view serves both
 * the benchmarks (a model loads from it like from a folder) and {@code armor quantize} (which writes its tensors),
 * so what is measured is what is written.
 *
 * <p>Tensors are quantized when asked for; only the last one asked for stays in memory (the loader copies each into
 * its layer), so viewing a model costs one matrix of extra memory, not a second model.
 */
public final class QuantizedWeights implements WeightSource, AutoCloseable {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String EMBEDDING = "model.embed_tokens.weight";

    private final WeightSource source;
    private final int requestedGroup;
    private final boolean embeddings;
    private final Set<String> names = new LinkedHashSet<>();
    private final Set<String> quantized = new LinkedHashSet<>();
    private String current;
    private Arena arena;
    private Tensor values, scales;

    /**
     * @param requestedGroup group size in dense input columns, or 0 for the default ({@link Int8Quantizer#groupSize})
     * @param embeddings     whether the token embedding is quantized too (a tied head follows it)
     */
    public QuantizedWeights(WeightSource source, int requestedGroup, boolean embeddings) {
        this.source = source;
        this.requestedGroup = requestedGroup;
        this.embeddings = embeddings;
        for (String n : source.names()) {
            names.add(n);
            // a tensor with scales beside it is int8 already (ARMOR's factors in a 4-bit view): it passes through
            if (quantizes(n) && !source.has(n + Int8Tensors.SCALE)) {
                quantized.add(n);
                names.add(n + Int8Tensors.SCALE);
            }
        }
    }

    /**
     * Checks every tensor to be quantized before any work: a float dtype, not already int8, and a group size that fits
     * its rows; the error names the tensor. (Not done in the constructor: a lazily computed source, such as a
     * benchmark's pruned view, would compute every tensor twice.)
     */
    public void validate() {
        for (String n : quantized) {
            Tensor t = source.tensor(n);
            if (t.dtype() == DType.I8)
                throw new CheckpointException(source.origin() + ": tensor " + n + " is already int8, expected a float checkpoint to quantize");
            if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16)
                throw new CheckpointException(source.origin() + ": tensor " + n + " has dtype " + t.dtype() + ", expected F32, BF16 or F16");
            denseGroup(t);
        }
    }

    /** The matrices a linear layer reads: these are quantized, everything else passes through. */
    private boolean quantizes(String name) {
        if (name.equals(EMBEDDING)) return embeddings;
        if (name.equals("lm_head.weight")) return true;
        for (String suffix : new String[] {".weight", SparseLinearLoader.VALUES, SparseLinearLoader.ARMOR_A, SparseLinearLoader.ARMOR_B}) {
            if (name.endsWith(suffix) && Conversions.PROJECTION.matcher(name.substring(0, name.length() - suffix.length())).matches())
                return true;
        }
        return false;
    }

    /** The names of the tensors that are int8 in this view. */
    public Set<String> quantizedNames() {
        return quantized;
    }

    /**
     * The group size in dense input columns used for tensor {@code t}: the requested one (which must fit) or the
     * default for its row length. A 2:4 core's dense row is twice its kept values; A'/B' use one scale per block row.
     */
    public int denseGroup(Tensor t) {
        String n = t.name();
        if (n.endsWith(SparseLinearLoader.ARMOR_A) || n.endsWith(SparseLinearLoader.ARMOR_B)) return t.dim(2);
        int denseCols = n.endsWith(SparseLinearLoader.VALUES) ? 2 * t.dim(1) : t.dim(1);
        try {
            return Int8Quantizer.groupSize(denseCols, requestedGroup);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--group-size: tensor " + n + " (" + denseCols + " input columns): " + e.getMessage(), e);
        }
    }

    @Override
    public boolean has(String name) {
        return names.contains(name);
    }

    @Override
    public Tensor tensor(String name) {
        if (!names.contains(name)) throw new CheckpointException(origin() + ": missing tensor " + name);
        if (quantized.contains(name)) {
            make(name);
            return values;
        }
        if (name.endsWith(Int8Tensors.SCALE) && quantized.contains(name.substring(0, name.length() - Int8Tensors.SCALE.length()))) {
            make(name.substring(0, name.length() - Int8Tensors.SCALE.length()));
            return scales;
        }
        return source.tensor(name);
    }

    private void make(String name) {
        if (name.equals(current)) return;
        release();
        Tensor t = source.tensor(name);
        boolean blocks = t.rank() == 3;
        int rows = blocks ? t.dim(0) * t.dim(1) : t.dim(0), cols = blocks ? t.dim(2) : t.dim(1);
        int group = denseGroup(t);
        if (name.endsWith(SparseLinearLoader.VALUES)) group /= 2; // G dense columns hold G/2 kept values
        Int8Matrix q = Int8Quantizer.quantize(TensorFloats.read(t), rows, cols, group);
        arena = Arena.ofShared();
        MemorySegment v = arena.allocate(q.values().length, 64);
        MemorySegment.copy(q.values(), 0, v, ValueLayout.JAVA_BYTE, 0, q.values().length);
        MemorySegment s = arena.allocate(4L * q.scales().length, 64);
        MemorySegment.copy(q.scales(), 0, s, FLOAT, 0, q.scales().length);
        values = new Tensor(name, DType.I8, t.shape().clone(), v);
        long[] scaleShape = blocks ? new long[] {t.dim(0), t.dim(1), 1} : new long[] {rows, q.groupsPerRow()};
        scales = new Tensor(name + Int8Tensors.SCALE, DType.F32, scaleShape, s);
        current = name;
    }

    private void release() {
        if (arena != null) arena.close();
        arena = null;
        current = null;
        values = scales = null;
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public String origin() {
        return source.origin() + " as int8";
    }

    /** Frees the last quantized tensor (loaded layers hold their own copies). */
    @Override
    public void close() {
        release();
    }
}
