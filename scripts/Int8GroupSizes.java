// The int8 group-size comparison of docs/results.md: perplexity (held-out protocol of `armor eval compare`) and
// weight error of a model folder quantized with several group sizes. Where a group size does not divide a matrix's
// rows (stories260K's down_proj has 172 columns), that matrix gets one scale per row, which `armor quantize
// --group-size` refuses; this script exists to measure the choice of the default, not to make checkpoints.
//   ./armor --version >/dev/null   # builds cli/target
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "cli/target/classes:cli/target/lib/*" \
//        scripts/Int8GroupSizes.java MODEL TEXT SEQ FROM_WINDOW GROUP...   (GROUP 0 = one scale per row)
import armor.pruner.calib.CalibrationSet;
import armor.runtime.config.ConfigReader;
import armor.runtime.eval.Perplexity;
import armor.runtime.eval.TextCorpus;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.model.Model;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

public class Int8GroupSizes {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int seq = Integer.parseInt(args[2]), from = Integer.parseInt(args[3]);
        int[] stream;
        try (Model dense = Model.load(dir)) {
            var tok = dense.requireTokenizer();
            stream = CalibrationSet.oneStream(tok, TextCorpus.read(Path.of(args[1])), tok.bosTokenId().orElse(dense.config().bosTokenId()));
        }
        int to = Perplexity.windowCount(stream.length, seq);
        System.out.printf(Locale.ROOT, "%-10s %12s %14s %16s%n", "group", "perplexity", "weight error", "scale bytes/w");
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            for (int a = 4; a < args.length; a++) {
                int g = Integer.parseInt(args[a]);
                try (QuantizedWeights grouped = new QuantizedWeights(w, g, true); QuantizedWeights rows = new QuantizedWeights(w, 0, true)) {
                    WeightSource mixed = mixed(w, g, grouped, rows);
                    double err = 0, norm = 0, scales = 0, weights = 0;
                    for (String n : grouped.quantizedNames()) {
                        float[] x = TensorFloats.read(w.tensor(n));
                        float[] d = Int8Tensors.read(mixed, n).dequantize();
                        for (int i = 0; i < x.length; i++) { err += (x[i] - d[i]) * (double) (x[i] - d[i]); norm += x[i] * (double) x[i]; }
                        scales += mixed.tensor(Int8Tensors.scaleName(n)).elementCount();
                        weights += x.length;
                    }
                    Model m = Model.of(ConfigReader.read(dir), mixed);
                    double ppl = Perplexity.compute(m, stream, seq, from, to, null).perplexity();
                    System.out.printf(Locale.ROOT, "%-10s %12.4f %13.4f%% %16.4f%n", g == 0 ? "row" : g, ppl,
                            100 * Math.sqrt(err / norm), 4 * scales / weights);
                }
            }
        }
    }

    /** The tensors of {@code grouped} where its group divides the row, else those of {@code rows} (one scale per row). */
    static WeightSource mixed(WeightSource src, int g, QuantizedWeights grouped, QuantizedWeights rows) {
        return new WeightSource() {
            QuantizedWeights pick(String name) {
                String base = name.endsWith(Int8Tensors.SCALE) ? name.substring(0, name.length() - Int8Tensors.SCALE.length()) : name;
                if (g == 0 || !grouped.quantizedNames().contains(base)) return rows;
                Tensor t = src.tensor(base);
                int cols = base.endsWith(".sparse_values") ? 2 * t.dim(1) : t.dim(t.rank() - 1);
                return cols % g == 0 ? grouped : rows;
            }
            public boolean has(String name) { return rows.has(name); }
            public Tensor tensor(String name) { return pick(name).tensor(name); }
            public Set<String> names() { return rows.names(); }
            public String origin() { return src.origin() + " as int8"; }
        };
    }
}
