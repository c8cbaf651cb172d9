package armor.cli;

import armor.runtime.eval.Perplexity;
import armor.runtime.eval.TextCorpus;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
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

    @Option(names = "--text", required = true, description = "text file (.txt, or JSON lines with a text field)")
    Path text;

    @Option(names = "--seq", description = "window length in tokens (default: the model's context, at most 2048)")
    Integer seqOption;

    @Option(names = "--windows", description = "window range A:B (0-based, B exclusive); default all")
    String windows;

    @Override
    public Integer call() throws Exception {
        try (Model m = Model.load(model)) {
            int seq = seqOption != null ? seqOption : Math.min(2048, m.config().maxPositions());
            Tokenizer tok = m.requireTokenizer();
            String content = TextCorpus.read(text);
            int[] body = tok.encode(content, false);
            int bos = tok.bosTokenId().orElse(m.config().bosTokenId());
            int[] stream;
            if (bos >= 0) {
                stream = new int[body.length + 1];
                stream[0] = bos;
                System.arraycopy(body, 0, stream, 1, body.length);
            } else {
                stream = body;
            }
            int total = Perplexity.windowCount(stream.length, seq);
            int from = 0, to = total;
            if (windows != null) {
                String[] ab = windows.split(":", -1);
                try {
                    if (ab.length != 2) throw new NumberFormatException();
                    from = ab[0].isEmpty() ? 0 : Integer.parseInt(ab[0]);
                    to = ab[1].isEmpty() ? total : Integer.parseInt(ab[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--windows " + windows + ", expected A:B with integers, e.g. 0:40");
                }
            }
            System.err.printf("armor: %s: %,d tokens, %d windows of %d%n", text, stream.length, total, seq);
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
