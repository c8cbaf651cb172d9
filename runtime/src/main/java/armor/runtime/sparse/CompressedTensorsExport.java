package armor.runtime.sparse;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Structure;
import armor.runtime.linear.LinearLoader;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Exports to and from compressed-tensors: any folder armor runs as 2:4 (its own naive 2:4 checkpoints, a
 * compressed-tensors one, a dense folder whose projections are 2:4) written as compressed-tensors
 * {@code sparse-24-bitmask}, the format llm-compressor, transformers and vLLM up to early 2026 load; and a
 * compressed-tensors folder written as a plain dense one. ARMOR layers have no compressed-tensors format (A' and B'
 * are not a standard transform), so they refuse here and export dense.
 */
public final class CompressedTensorsExport {
    /** What {@link #export} writes. */
    public enum Target { COMPRESSED_TENSORS, DENSE }

    private CompressedTensorsExport() {}

    /**
     * Writes {@code dst} from {@code src}: every 2:4 linear of {@code src} as {@code P.compressed} (the kept values in
     * the stored dtype, unchanged), {@code P.bitmask} and {@code P.shape} with a compressed-tensors
     * {@code quantization_config} ({@link Target#COMPRESSED_TENSORS}), or as its dense {@code P.weight} with no
     * sparsity block ({@link Target#DENSE}). Other tensors are copied. Returns the number of linears written.
     */
    public static int export(Path src, Path dst, Target target, Conversions.Progress progress) {
        ModelConfig config = ConfigReader.read(src);
        CompressedTensorsConfig ct = CompressedTensorsConfig.read(src).orElse(null);
        try (SparseCheckpointWriter out = SparseCheckpointWriter.create(src, dst)) {
            Sparse24View view = Sparse24View.of(out.source(), ct, SparseMode.AUTO, config.architecture().hfName());
            List<String> prefixes = new ArrayList<>();
            for (String n : view.names())
                if (n.endsWith(SparseLinearLoader.VALUES)) prefixes.add(n.substring(0, n.length() - SparseLinearLoader.VALUES.length()));
            if (prefixes.isEmpty())
                throw new CheckpointException(src + ": no 2:4 linear found (" + view.format() + "), expected a 2:4 checkpoint "
                        + "or dense projections whose zeros follow 2:4");
            List<String> dense = new ArrayList<>();
            for (String n : view.names()) {
                if (!n.endsWith(".weight")) continue;
                String p = n.substring(0, n.length() - ".weight".length());
                if (Conversions.PROJECTION.matcher(p).matches()) dense.add(p);
            }
            int done = 0;
            for (String p : prefixes) {
                Tensor values = view.tensor(p + SparseLinearLoader.VALUES);
                int rows = values.dim(0), cols = values.dim(1) * 2;
                if (target == Target.COMPRESSED_TENSORS && Structure.of(view, p) == Structure.ARMOR)
                    throw new CheckpointException(src + ": " + p + " is an ARMOR layer (A'·C·B'), which compressed-tensors "
                            + "cannot express; export ARMOR checkpoints with --format dense");
                // through the loader, so the export validates exactly what the runtime would load
                Linear layer = SparseLinearLoader.load(view, p, cols, rows, LinearLoader.bias(view, p, rows));
                if (target == Target.COMPRESSED_TENSORS && !layer.format().compressedTensors())
                    throw new CheckpointException(src + ": " + p + " is a " + layer.kind() + " layer with " + values.dtype()
                            + " values, which this export cannot write as compressed-tensors; export it with --format dense");
                for (String s : new String[] {".weight", SparseLinearLoader.VALUES, SparseLinearLoader.META,
                        Sparse24View.COMPRESSED, Sparse24View.BITMASK, Sparse24View.SHAPE})
                    out.drop(p + s);
                if (target == Target.DENSE) {
                    out.putDenseWeight(p, layer.denseWeight(), rows, cols, values.dtype());
                } else {
                    byte[] meta = ((Sparse24Linear) layer).core().toCore().meta();
                    out.putTensor(new Tensor(p + Sparse24View.COMPRESSED, values.dtype(), values.shape(), values.data()));
                    out.putTensor(new Tensor(p + Sparse24View.BITMASK, DType.U8, new long[] {rows, Bitmask24.bitmaskCols(cols)},
                            MemorySegment.ofArray(Bitmask24.fromMeta(meta, rows, cols))));
                    // compressed-tensors 0.14 stores the shape as a [2, 1] int64 column
                    out.putTensor(new Tensor(p + Sparse24View.SHAPE, DType.I64, new long[] {2, 1},
                            MemorySegment.ofArray(new long[] {rows, cols})));
                }
                progress.converted(++done, prefixes.size(), p);
            }
            if (target == Target.DENSE) {
                out.finishEditingConfig(o -> o.remove(CompressedTensorsConfig.KEY));
            } else {
                out.finishEditingConfig(o -> o.set(CompressedTensorsConfig.KEY, quantizationConfig(o, dense)));
            }
            return prefixes.size();
        }
    }

    /**
     * The block compressed-tensors 0.14 writes for a 2:4 model: every {@code Linear} targeted, {@code lm_head} and the
     * projections left dense ignored; a sparsity-only config carries no quantization fields.
     */
    private static ObjectNode quantizationConfig(ObjectNode root, List<String> denseProjections) {
        ObjectNode q = root.objectNode();
        q.put("quant_method", CompressedTensorsConfig.QUANT_METHOD);
        ObjectNode s = q.putObject("sparsity_config");
        s.put("format", CompressedTensorsConfig.BITMASK_24);
        s.put("global_sparsity", 0.5);
        ArrayNode ignore = s.putArray("ignore");
        ignore.add("lm_head");
        denseProjections.forEach(ignore::add);
        s.put("registry_requires_subclass", false);
        s.put("sparsity_structure", "2:4");
        s.putArray("targets").add("Linear");
        q.set("transform_config", root.objectNode());
        q.put("version", CompressedTensorsConfig.VERSION);
        return q;
    }

    /** Whether {@code dir}'s config.json has a compressed-tensors block (so export reads it through this class). */
    public static boolean isCompressedTensors(Path dir) {
        // a quantization-only block (armor's own int8 folders, W8A16 checkpoints) is not a compressed-tensors 2:4 layout
        return CompressedTensorsConfig.read(dir).map(c -> c.sparsityFormat() != null).orElse(false);
    }
}
