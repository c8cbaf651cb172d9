package armor.runtime.sparse;

import armor.runtime.config.ConfigReader;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.ArmorLinear;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checkpoint-to-checkpoint conversions that need no calibration data: dense → magnitude 2:4, sparse → dense. */
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
     * Writes {@code dst}: {@code src} (a 2:4 or ARMOR checkpoint) with every sparse linear replaced by its dense
     * reconstruction {@code P.weight} in the stored dtype, and no sparsity_config: a plain Hugging Face checkpoint.
     */
    public static int exportDense(Path src, Path dst, Progress progress) {
        ConfigReader.read(src);
        try (SparseCheckpointWriter out = SparseCheckpointWriter.create(src, dst)) {
            CheckpointWeights weights = out.source();
            List<String> prefixes = projections(weights, SparseLinearLoader.VALUES);
            if (prefixes.isEmpty())
                throw new CheckpointException(src + ": no tensor named *.sparse_values, expected a 2:4 or ARMOR checkpoint");
            int done = 0;
            for (String prefix : prefixes) {
                Tensor values = weights.tensor(prefix + SparseLinearLoader.VALUES);
                int outF = values.dim(0), inF = values.dim(1) * 2;
                // through the loader, so the export validates exactly what the runtime would load
                Linear layer = SparseLinearLoader.load(weights, prefix, inF, outF, LinearLoader.bias(weights, prefix, outF));
                float[] w = switch (layer) {
                    case ArmorLinear a -> a.denseWeight();
                    case Sparse24Linear s -> s.denseWeight();
                    default -> throw new IllegalStateException("unexpected layer kind " + layer.kind());
                };
                out.putDenseWeight(prefix, w, outF, inF, values.dtype());
                progress.converted(++done, prefixes.size(), prefix);
            }
            out.finish(null);
            return prefixes.size();
        }
    }

    /** Prefixes of all tensors named {@code prefix + suffix}, in checkpoint order. */
    private static List<String> projections(CheckpointWeights w, String suffix) {
        List<String> out = new ArrayList<>();
        for (String name : w.names()) {
            if (!name.endsWith(suffix)) continue;
            String prefix = name.substring(0, name.length() - suffix.length());
            if (suffix.equals(SparseLinearLoader.VALUES) || PROJECTION.matcher(prefix).matches()) out.add(prefix);
        }
        return out;
    }
}
