package armor.runtime.sparse;

import armor.runtime.config.ConfigReader;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.linear.WeightFormat;
import armor.runtime.quant.GptqConfig;
import armor.runtime.quant.GptqTensors;
import armor.runtime.quant.GptqWeights;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Tensors;
import armor.runtime.quant.Int4Quantizer;
import armor.runtime.quant.Int4Weights;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.quant.QuantizationConfig;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checkpoint-to-checkpoint conversions that need no calibration data: dense → magnitude 2:4, sparse or int8 →
 * dense, float → int8.
 */
public final class Conversions {
    /** The seven projections of every decoder layer: the linears that pruning replaces. */
    public static final Pattern PROJECTION = Pattern.compile(
            "model\\.layers\\.\\d+\\.(self_attn\\.[qkvo]_proj|mlp\\.(gate|up|down)_proj)");

    /** Called after each linear is converted. */
    @FunctionalInterface
    public interface Progress {
        void converted(int done, int total, String prefix);
    }

    private Conversions() {}

    /** As {@link #magnitude24(Path, Path, Pattern, Progress)} for all seven projections of every layer. */
    public static int magnitude24(Path src, Path dst, Progress progress) {
        return magnitude24(src, dst, null, progress);
    }

    /**
     * Writes {@code dst}: {@code src} with its projections pruned to 2:4 by magnitude (the two largest |w| of each
     * group of four kept, values unchanged, in the source dtype); only those whose prefix contains a match of
     * {@code include} when it is not null. Returns the number of linears converted.
     */
    public static int magnitude24(Path src, Path dst, Pattern include, Progress progress) {
        ConfigReader.read(src); // a readable config first: fail before writing anything
        try (SparseCheckpointWriter out = SparseCheckpointWriter.create(src, dst)) {
            List<String> prefixes = projections(out.source(), ".weight");
            if (include != null) prefixes.removeIf(p -> !include.matcher(p).find());
            if (prefixes.isEmpty())
                throw new CheckpointException(src + ": no projection" + (include == null ? "" : " matches " + include.pattern())
                        + ", expected tensors such as model.layers.0.mlp.down_proj.weight");
            int done = 0;
            for (String prefix : prefixes) {
                Tensor w = out.source().tensor(prefix + ".weight");
                if (w.rank() != 2 || w.dim(1) % 4 != 0)
                    throw new CheckpointException(src + ": tensor " + w.name() + " has shape " + w.shapeString() + ", expected [d_out, d_in] with d_in a multiple of 4");
                Sparse24Core core = Sparse24Core.byMagnitude(TensorFloats.read(w), w.dim(0), w.dim(1));
                out.putCore(prefix, core, w.dtype());
                progress.converted(++done, prefixes.size(), prefix);
            }
            out.finish(SparsityConfig.magnitude24());
            return prefixes.size();
        }
    }

    /**
     * Writes {@code dst}: {@code src} (a 2:4, ARMOR, int8 or 4-bit checkpoint, GPTQ included) with every sparse linear replaced by its
     * dense reconstruction {@code P.weight} and every int8 and 4-bit weight dequantized, in the stored dtype (for
     * quantized tensors the model dtype of config.json), with no sparsity_config or quantization_config: a plain
     * Hugging Face checkpoint. Returns the number of weights written dense (sparse linears and quantized matrices).
     */
    public static int exportDense(Path src, Path dst, Progress progress) {
        ConfigReader.read(src);
        GptqConfig gptq = GptqConfig.read(src).orElse(null);
        try (SparseCheckpointWriter out = SparseCheckpointWriter.dequantizing(src, dst)) {
            // int8 tensors read as their float32 values; GPTQ tensors with their config.json block (GptqTensors)
            WeightSource weights = GptqWeights.of(out.source(), gptq);
            List<String> prefixes = projections(weights, SparseLinearLoader.VALUES);
            List<String> int8Weights = new ArrayList<>();
            for (String name : weights.names())
                if (name.endsWith(".weight") && out.dequantizes(name)) int8Weights.add(name);
            List<String> fourBit = projections(weights, ".weight" + Int4Tensors.PACKED);
            fourBit.addAll(projections(weights, SparseLinearLoader.VALUES + Int4Tensors.PACKED));
            List<String> gptqWeights = projections(weights, GptqTensors.QWEIGHT);
            if (prefixes.isEmpty() && int8Weights.isEmpty() && fourBit.isEmpty() && gptqWeights.isEmpty())
                throw new CheckpointException(src + ": no tensor named *.sparse_values, no int8 and no 4-bit weights, expected a 2:4, ARMOR, "
                        + "int8 or 4-bit checkpoint");
            int total = prefixes.size() + int8Weights.size() + fourBit.size() + gptqWeights.size(), done = 0;
            for (String prefix : gptqWeights) {
                // GPTQ: [in/8, out] words; the dense-int4 loader checks every tensor against that size and the config
                Tensor qweight = weights.tensor(prefix + GptqTensors.QWEIGHT);
                if (qweight.rank() != 2)
                    throw new CheckpointException(src + ": tensor " + qweight.name() + " has shape " + qweight.shapeString() + ", expected [in/8, out]");
                int outF = qweight.dim(1), inF = Math.multiplyExact(qweight.dim(0), GptqTensors.PER_WORD);
                Linear layer = WeightFormat.recognise(weights, prefix).load(weights, prefix, inF, outF, LinearLoader.bias(weights, prefix, outF));
                out.putDenseWeight(prefix, layer.denseWeight(), outF, inF, out.dequantizedDtype());
                for (String part : GptqTensors.SUFFIXES) out.drop(prefix + part);
                progress.converted(++done, total, prefix);
            }
            for (String prefix : fourBit) {
                // through the table's loader for the projection's row (dense-int4, 2:4-int4, armor-int4)
                String base = prefix + (weights.has(prefix + ".weight" + Int4Tensors.PACKED) ? ".weight" : SparseLinearLoader.VALUES);
                if (!weights.has(base + Int4Tensors.SHAPE))
                    throw new CheckpointException(src + ": missing tensor " + base + Int4Tensors.SHAPE + " (the unpacked shape of " + base + Int4Tensors.PACKED + ")");
                long[] rc = Int4Tensors.shapeValues(src.toString(), weights.tensor(base + Int4Tensors.SHAPE));
                if (rc.length != 2)
                    throw new CheckpointException(src + ": tensor " + base + Int4Tensors.SHAPE + " holds " + rc.length + " values, expected [rows, columns]");
                int outF = Math.toIntExact(rc[0]), inF = Math.toIntExact(base.endsWith(SparseLinearLoader.VALUES) ? 2 * rc[1] : rc[1]);
                Linear layer = WeightFormat.recognise(weights, prefix).load(weights, prefix, inF, outF, LinearLoader.bias(weights, prefix, outF));
                out.putDenseWeight(prefix, layer.denseWeight(), outF, inF, out.dequantizedDtype());
                for (String part : new String[] {Int4Tensors.PACKED, Int4Tensors.SCALE, Int4Tensors.ZERO_POINT, Int4Tensors.SHAPE, Int4Tensors.G_IDX})
                    out.drop(base + part);
                progress.converted(++done, total, prefix);
            }
            for (String prefix : prefixes) {
                Tensor values = weights.tensor(prefix + SparseLinearLoader.VALUES);
                int outF = values.dim(0), inF = values.dim(1) * 2;
                // through the loader, so the export validates exactly what the runtime would load
                Linear layer = SparseLinearLoader.load(weights, prefix, inF, outF, LinearLoader.bias(weights, prefix, outF));
                out.putDenseWeight(prefix, layer.denseWeight(), outF, inF, out.storedDtype(prefix + SparseLinearLoader.VALUES));
                progress.converted(++done, total, prefix);
            }
            for (String name : int8Weights) {
                Tensor t = weights.tensor(name);
                if (t.rank() != 2)
                    throw new CheckpointException(src + ": tensor " + name + " has shape " + t.shapeString() + ", expected [rows, columns]");
                String prefix = name.substring(0, name.length() - ".weight".length());
                out.putDenseWeight(prefix, TensorFloats.read(t), t.dim(0), t.dim(1), out.storedDtype(name));
                progress.converted(++done, total, prefix);
            }
            out.finish(null);
            return total;
        }
    }

    /**
     * Writes {@code dst}: {@code src} (a dense, 2:4 or ARMOR checkpoint with float weights) with its weights in int8
     * as {@code scheme} says ({@link armor.runtime.quant.QuantizedWeights}): each projection keeps its kind, the sparsity_config is kept, and
     * config.json gains a {@code quantization_config}. Returns the number of tensors quantized.
     *
     * @throws Int8SchemeException when the group size does not fit a tensor, or the source is int8 already; nothing
     *                             is written then
     */
    public static int quantize(Path src, Path dst, Int8Scheme scheme, Progress progress) {
        SparsityConfig sparsity = floatSourceSparsity(src);
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            scheme.check(w); // every group size fits, before anything is written
        }
        try (SparseCheckpointWriter out = SparseCheckpointWriter.create(src, dst, SparseCheckpointWriter.DEFAULT_SHARD_BYTES, scheme)) {
            List<String> names = new ArrayList<>(out.quantizedSourceNames());
            boolean linears = false;
            for (String name : names) linears |= name.startsWith("model.layers.");
            if (!linears)
                throw new CheckpointException(src + ": no projection to quantize, expected tensors such as "
                        + "model.layers.0.mlp.down_proj.weight or .sparse_values");
            int done = 0;
            for (String name : names) {
                out.quantizeSource(name);
                progress.converted(++done, names.size(), name);
            }
            out.finish(sparsity);
            return names.size();
        }
    }

    /**
     * Writes {@code dst}: {@code src} (a dense, 2:4 or ARMOR checkpoint with float weights) with every projection's
     * weight, or 2:4 kept values, quantized to 4 bits by round to nearest ({@link Int4Weights}): dense projections as
     * compressed-tensors pack-quantized, 2:4 cores as armor's 2:4-int4 (positions unchanged), ARMOR's A' and B' as int8;
     * the sparsity_config is kept and config.json gains a pack-quantized {@code quantization_config}. Returns the number
     * of matrices made 4-bit.
     *
     * @param requestedGroup dense input columns per scale, 0 for the default (128 where it divides the row, else the row)
     * @throws Int8SchemeException when the group size does not fit a tensor, or the source is quantized already;
     *                             nothing is written then
     */
    public static int quantize4(Path src, Path dst, int requestedGroup, boolean symmetric, Progress progress) {
        checkQuantize4(src, requestedGroup, symmetric);
        return quantize4(src, dst, requestedGroup, symmetric, Map.of(), "rtn", progress);
    }

    /**
     * Checks that {@code src} can be quantized to 4 bits with this group size before any work: a float dense or 2:4
     * folder, not quantized already, with projections, every group size fitting.
     *
     * @throws Int8SchemeException for a group size that does not fit or a folder quantized already (usage errors)
     */
    public static void checkQuantize4(Path src, int requestedGroup, boolean symmetric) {
        floatSourceSparsity(src);
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            Int4Weights check = new Int4Weights(w, requestedGroup, symmetric);
            check.validate(); // every group size fits, no ARMOR factor, before anything is written
            if (check.quantizedNames().isEmpty())
                throw new CheckpointException(src + ": no projection to quantize, expected tensors such as "
                        + "model.layers.0.mlp.down_proj.weight or .sparse_values");
        } catch (IllegalArgumentException e) {
            throw new Int8SchemeException(Int8SchemeException.Cause.GROUP_SIZE, e.getMessage());
        }
    }

    /**
     * Writes the 4-bit version of {@code src} (checked by {@link #checkQuantize4}) to {@code dst}: the matrices in
     * {@code given} (source tensor name → codes, e.g. from GPTQ) as they are, the others rounded to nearest;
     * {@code method} is recorded in the quantization config.
     */
    public static int quantize4(Path src, Path dst, int requestedGroup, boolean symmetric, Map<String, Int4Matrix> given,
                                String method, Progress progress) {
        SparsityConfig sparsity = floatSourceSparsity(src);
        try (SparseCheckpointWriter out = SparseCheckpointWriter.create(src, dst)) {
            Int4Weights view = new Int4Weights(out.source(), requestedGroup, symmetric, given);
            List<String> names = new ArrayList<>(view.quantizedNames());
            boolean channel = true;
            int done = 0;
            for (String name : names) {
                for (Tensor t : view.replacement(name)) {
                    out.putTensor(t);
                    // the 4-bit scales (rank 2); ARMOR's int8 factors have scales of rank 3
                    if (t.name().endsWith(armor.runtime.quant.Int4Tensors.SCALE) && t.rank() == 2 && t.dim(1) != 1) channel = false;
                }
                out.drop(name);
                progress.converted(++done, names.size(), name);
            }
            int nominal = requestedGroup > 0 ? requestedGroup : Int4Quantizer.DEFAULT_GROUP;
            boolean wholeRows = channel;
            out.finishEditingConfig(o -> {
                if (sparsity != null) o.set(SparsityConfig.KEY, sparsity.toJson());
                o.set(QuantizationConfig.KEY, QuantizationConfig.packQuantized(nominal, wholeRows, symmetric, method, SparsityConfig.VERSION));
            });
            return (int) names.stream().filter(n -> !n.endsWith(SparseLinearLoader.ARMOR_A) && !n.endsWith(SparseLinearLoader.ARMOR_B)).count();
        }
    }

    /**
     * The sparsity_config of {@code src} (null when dense), after checking that its config.json reads and declares no
     * quantization: the common start of both quantizers.
     *
     * @throws Int8SchemeException when the folder is quantized already
     */
    private static SparsityConfig floatSourceSparsity(Path src) {
        ConfigReader.read(src);
        Path cfg = src.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(cfg + ": cannot read: " + e.getMessage(), e);
        }
        if (QuantizationConfig.isQuantized(root))
            throw new Int8SchemeException(Int8SchemeException.Cause.ALREADY_QUANTIZED, cfg + ": has a " + QuantizationConfig.KEY
                    + " already, expected a model folder with float weights to quantize");
        if (GptqConfig.read(src).isPresent()) // an older AutoGPTQ folder: the block is in quantize_config.json
            throw new Int8SchemeException(Int8SchemeException.Cause.ALREADY_QUANTIZED, src.resolve(GptqConfig.LEGACY_FILE)
                    + ": declares GPTQ weights, expected a model folder with float weights to quantize");
        return root.has(SparsityConfig.KEY) ? SparsityConfig.fromJson(root.get(SparsityConfig.KEY), cfg.toString()) : null;
    }

    /** Prefixes of all tensors named {@code prefix + suffix}, in checkpoint order. */
    private static List<String> projections(WeightSource w, String suffix) {
        List<String> out = new ArrayList<>();
        for (String name : w.names()) {
            if (!name.endsWith(suffix)) continue;
            String prefix = name.substring(0, name.length() - suffix.length());
            if (suffix.equals(SparseLinearLoader.VALUES) || PROJECTION.matcher(prefix).matches()) out.add(prefix);
        }
        return out;
    }
}
