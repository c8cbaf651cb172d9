package armor.cli;

import armor.runtime.eval.Perplexity;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.sparse.SparsityConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
                rows.add(new Row(dir.getFileName().toString(), kind(m, dir), r.perplexity(), r.meanNll(), r.windows(),
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

    /**
     * The projections' kinds as the weight-format table names them ({@code Linear.kind()}: "dense", "2:4-int8",
     * "armor-int4", joined by "+" when they differ), then the pruning method and ARMOR block from armor's
     * sparsity_config when there is one, e.g. "armor-int4 armor b=16", "2:4 sparsegpt".
     */
    private static String kind(Model m, Path dir) {
        Set<String> kinds = new LinkedHashSet<>();
        for (int l = 0; l < m.decoder().numLayers(); l++)
            for (String p : DecoderLayer.PROJECTIONS) kinds.add(m.decoder().layer(l).linear(p).kind());
        String method = "";
        try {
            JsonNode s = new ObjectMapper().readTree(Files.readString(dir.resolve("config.json"))).get(SparsityConfig.KEY);
            if (s != null) {
                SparsityConfig sc = SparsityConfig.fromJson(s, dir.resolve("config.json").toString());
                method = " " + sc.method() + (sc.blockSize() != null ? " b=" + sc.blockSize() : "");
            }
        } catch (Exception e) {
            method = " (unreadable sparsity_config)";
        }
        return String.join("+", kinds) + method;
    }
}
