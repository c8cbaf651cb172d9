package armor.runtime.quant;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.Conversions;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A float checkpoint (dense, 2:4 or ARMOR) seen as its 4-bit version (docs/checkpoint-format.md): every projection's
 * {@code P.weight} becomes compressed-tensors' pack-quantized {@code P.weight_packed}, {@code P.weight_scale},
 * ({@code P.weight_zero_point}), {@code P.weight_shape}, and every 2:4 core's {@code P.sparse_values} the same tensors
 * named {@code P.sparse_values_*} (positions unchanged, the mask fixed); ARMOR's {@code P.armor_a} and {@code P.armor_b}
 * become int8 with one scale per block row, as {@code armor quantize} writes them ({@link QuantizedWeights}). Embeddings, the head, norms and biases pass
 * through in the model dtype, as compressed-tensors' W4A16 schemes leave them. Quantization is round to nearest
 * ({@link Int4Quantizer}). This one view serves both {@code armor quantize --bits 4} (which writes its tensors) and the
 * benchmarks (which load a model from it), so what is measured is what is written; the tensors of the last matrix
 * asked for are kept, so viewing a model costs one matrix of extra memory.
 */
public final class Int4Weights implements WeightSource {
    private static final String[] PARTS = {Int4Tensors.PACKED, Int4Tensors.SCALE, Int4Tensors.ZERO_POINT, Int4Tensors.SHAPE};

    private final WeightSource source;
    private final int requestedGroup;
    private final boolean symmetric;
    private final Map<String, Int4Matrix> given;
    /** ARMOR's factors in int8, as the 8-bit quantizer makes them. */
    private final QuantizedWeights factors;
    private final Set<String> names = new LinkedHashSet<>();
    /** Each produced tensor's name → the source matrix it comes from. */
    private final Map<String, String> producedFrom = new LinkedHashMap<>();
    private final Set<String> quantized = new LinkedHashSet<>();
    private String current;
    private Map<String, Tensor> currentTensors = Map.of();

    /**
     * @param requestedGroup dense input columns per scale, or 0 for the default ({@link Int4Quantizer#groupSize})
     * @param symmetric      no zero points (compressed-tensors' {@code symmetric: true})
     */
    public Int4Weights(WeightSource source, int requestedGroup, boolean symmetric) {
        this(source, requestedGroup, symmetric, Map.of());
    }

    /**
     * The view with some matrices already quantized by another method (GPTQ): {@code given} maps a source tensor's name
     * to its codes, which must have the shape and group size this view would give it; the rest is rounded to nearest.
     */
    public Int4Weights(WeightSource source, int requestedGroup, boolean symmetric, Map<String, Int4Matrix> given) {
        this.source = source;
        this.given = given;
        this.factors = new QuantizedWeights(source, 0, false);
        this.requestedGroup = requestedGroup;
        this.symmetric = symmetric;
        for (String n : source.names()) {
            if (isFactor(n)) {
                quantized.add(n);
                for (String produced : new String[] {n, n + Int8Tensors.SCALE}) {
                    names.add(produced);
                    producedFrom.put(produced, n);
                }
                continue;
            }
            if (!quantizes(n)) {
                names.add(n);
                continue;
            }
            quantized.add(n);
            for (String part : PARTS) {
                if (symmetric && part.equals(Int4Tensors.ZERO_POINT)) continue;
                names.add(n + part);
                producedFrom.put(n + part, n);
            }
        }
    }

    /** A projection's dense weight or 2:4 values. */
    private static boolean quantizes(String name) {
        for (String suffix : new String[] {".weight", SparseLinearLoader.VALUES})
            if (name.endsWith(suffix) && Conversions.PROJECTION.matcher(name.substring(0, name.length() - suffix.length())).matches())
                return true;
        return false;
    }

    /** ARMOR's A' or B' of a projection. */
    private static boolean isFactor(String name) {
        for (String suffix : new String[] {SparseLinearLoader.ARMOR_A, SparseLinearLoader.ARMOR_B})
            if (name.endsWith(suffix) && Conversions.PROJECTION.matcher(name.substring(0, name.length() - suffix.length())).matches())
                return true;
        return false;
    }

    /**
     * Checks every tensor before any work: float dtypes and a group size that fits each row; errors name the tensor.
     *
     * @throws IllegalArgumentException for the group size (a usage error), {@link CheckpointException} for dtypes
     */
    public void validate() {
        for (String n : quantized) {
            Tensor t = source.tensor(n);
            if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16)
                throw new CheckpointException(source.origin() + ": tensor " + n + " has dtype " + t.dtype()
                        + ", expected F32, BF16 or F16 (a float checkpoint to quantize)");
            if (!isFactor(n)) denseGroup(t);
        }
    }

    /** The names of the source tensors this view replaces by 4-bit ones. */
    public Set<String> quantizedNames() {
        return quantized;
    }

    /** The tensors that replace source tensor {@code name}, in writing order. */
    public List<Tensor> replacement(String name) {
        make(name);
        return List.copyOf(currentTensors.values());
    }

    /** Dense input columns per scale of {@code t}: the requested group (which must fit) or the default. */
    private int denseGroup(Tensor t) {
        String n = t.name();
        int denseCols = n.endsWith(SparseLinearLoader.VALUES) ? 2 * t.dim(1) : t.dim(1);
        try {
            return Int4Quantizer.groupSize(denseCols, requestedGroup);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--group-size: tensor " + n + " (" + denseCols + " input columns): " + e.getMessage(), e);
        }
    }

    private void make(String name) {
        if (name.equals(current)) return;
        if (isFactor(name)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String n : new String[] {name, name + Int8Tensors.SCALE}) out.put(n, onHeap(factors.tensor(n)));
            current = name;
            currentTensors = out;
            return;
        }
        Tensor t = source.tensor(name);
        if (t.rank() != 2)
            throw new CheckpointException(source.origin() + ": tensor " + name + " has shape " + t.shapeString() + ", expected [rows, columns]");
        int group = denseGroup(t);
        if (name.endsWith(SparseLinearLoader.VALUES)) group /= 2; // G dense columns hold G/2 kept values
        Int4Matrix q = given.get(name);
        if (q == null) {
            q = Int4Quantizer.quantize(TensorFloats.read(t), t.dim(0), t.dim(1), group, symmetric);
        } else if (q.rows() != t.dim(0) || q.cols() != t.dim(1) || q.groupSize() != group || q.symmetric() != symmetric) {
            throw new IllegalArgumentException("int4 codes given for " + name + ": " + q.rows() + "×" + q.cols() + " in groups of "
                    + q.groupSize() + (q.symmetric() ? ", symmetric" : ", with zero points") + ", expected " + t.dim(0) + "×" + t.dim(1)
                    + " in groups of " + group + (symmetric ? ", symmetric" : ", with zero points"));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Tensor p : Int4Tensors.tensors(name, q)) out.put(p.name(), p);
        current = name;
        currentTensors = out;
    }

    /** A copy of {@code t} in the Java heap: the int8 view frees its tensors when it makes the next one. */
    private static Tensor onHeap(Tensor t) {
        MemorySegment copy = MemorySegment.ofArray(new byte[Math.toIntExact(t.data().byteSize())]);
        copy.copyFrom(t.data());
        return new Tensor(t.name(), t.dtype(), t.shape().clone(), copy);
    }

    @Override
    public boolean has(String name) {
        return names.contains(name);
    }

    @Override
    public Tensor tensor(String name) {
        if (!names.contains(name)) throw new CheckpointException(origin() + ": missing tensor " + name);
        String from = producedFrom.get(name);
        if (from == null) return source.tensor(name);
        make(from);
        return currentTensors.get(name);
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public String origin() {
        return source.origin() + " as int4";
    }
}
