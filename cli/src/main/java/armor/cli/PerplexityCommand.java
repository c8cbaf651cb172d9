package armor.cli;

import armor.runtime.eval.Perplexity;
import armor.runtime.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code armor eval ppl}: perplexity over non-overlapping windows of one token stream with a single BOS (the
 * protocol of the shared data notes); the last partial window is dropped.
 */
@Command(name = "ppl", mixinStandardHelpOptions = true,
        description = "Perplexity of a text file: one token stream with one BOS, non-overlapping windows of --seq "
                + "tokens, the last partial window dropped. .json/.jsonl files are read as rows of {\"text\": ...} "
                + "joined with blank lines.")
public final class PerplexityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Mixin
    PerplexityOptions options;

    @Mixin
    SparseOption sparse;

    @Override
    public Integer call() throws Exception {
        try (Model m = sparse.load(model, System.err)) {
            int seq = options.seq(m);
            int[] stream = PerplexityOptions.stream(m, options.readText());
            int total = Perplexity.windowCount(stream.length, seq);
            int[] range = options.range(total);
            int from = range[0], to = range[1];
            System.err.printf("armor: %s: %,d tokens, %d windows of %d%n", options.text, stream.length, total, seq);
            ProgressLine progress = new ProgressLine("ppl", "windows");
            Perplexity.Result r = Perplexity.compute(m, stream, seq, from, to, progress::update);
            progress.done();
            System.out.printf(Locale.ROOT, "%.4f%n", r.perplexity());
            System.err.printf(Locale.ROOT, "armor: perplexity %.4f (mean NLL %.5f nats over %,d tokens, windows %d:%d of %d)%n",
                    r.perplexity(), r.meanNll(), r.scoredTokens(), from, to, total);
        }
        return 0;
    }
}
