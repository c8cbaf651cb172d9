package armor.cli;

import armor.runtime.eval.Perplexity;
import armor.runtime.model.Model;
import armor.runtime.quant.QuantizationConfig;
import armor.runtime.sparse.SparsityConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code armor eval compare}: perplexity of several checkpoints (dense or pruned) on the same text with the same
 * protocol as {@code armor eval ppl}, printed as one table.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Perplexity of several model folders on the same text (one stream with one BOS, "
                + "non-overlapping --seq windows), as one table.")
public final class CompareCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "model folders (dense or pruned)")
    List<Path> models;

    @Mixin
    PerplexityOptions options;

    @Mixin
    SparseOption sparse;

    record Row(String name, String kind, double ppl, double nll, int windows, double seconds) {}

    @Override
    public Integer call() throws Exception {
        String content = options.readText();
        List<Row> rows = new ArrayList<>();
        int seq = 0; // the same windows for every model: --seq, or the default for the first model
        for (Path dir : models) {
            long t0 = System.nanoTime();
            try (Model m = sparse.load(dir, System.err)) {
                if (seq == 0) seq = options.seq(m);
                int[] stream = PerplexityOptions.stream(m, content);
                int[] range = options.range(Perplexity.windowCount(stream.length, seq));
                int from = range[0], to = range[1];
                ProgressLine progress = new ProgressLine("ppl " + dir.getFileName(), "windows");
                Perplexity.Result r = Perplexity.compute(m, stream, seq, from, to, progress::update);
                progress.done();
                rows.add(new Row(dir.getFileName().toString(), kind(dir), r.perplexity(), r.meanNll(), r.windows(),
                        (System.nanoTime() - t0) / 1e9));
            }
        }
        System.out.printf(Locale.ROOT, "%-28s %-22s %10s %10s %8s %9s%n", "model", "kind", "perplexity", "mean NLL",
                "windows", "seconds");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-28s %-22s %10.4f %10.5f %8d %9.1f%n", r.name(), r.kind(), r.ppl(),
                    r.nll(), r.windows(), r.seconds());
        }
        return 0;
    }

    /** "dense", or the sparsity_config's format and method, e.g. "armor-2:4 armor b=4"; " int8" / " int4" for quantized weights. */
    private static String kind(Path dir) {
        try {
            JsonNode cfg = new ObjectMapper().readTree(Files.readString(dir.resolve("config.json")));
            JsonNode s = cfg.get("sparsity_config");
            String int8 = QuantizationConfig.isQuantized(cfg) ? " int" + QuantizationConfig.bits(cfg) : "";
            JsonNode ct = cfg.path("quantization_config").path("sparsity_config");
            if (ct.isObject()) return "ct " + ct.path("format").asText("?") + int8; // compressed-tensors
            if (s == null) return "dense" + int8;
            SparsityConfig sc = SparsityConfig.fromJson(s, dir.resolve("config.json").toString());
            return sc.format() + " " + sc.method() + (sc.blockSize() != null ? " b=" + sc.blockSize() : "") + int8;
        } catch (Exception e) {
            return "?";
        }
    }
}
