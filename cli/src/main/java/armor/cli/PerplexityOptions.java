package armor.cli;

import armor.pruner.calib.CalibrationSet;
import armor.runtime.eval.TextCorpus;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The text and windows of {@code eval ppl} and {@code eval compare} (a picocli mixin): one token stream with a
 * single BOS, non-overlapping windows of {@code --seq} tokens, an optional range of them.
 */
public final class PerplexityOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--text", required = true, description = "text file (.txt, or JSON lines with a text field)")
    Path text;

    @Option(names = "--seq", description = "window length in tokens (default: the context length of the (first) model, at most 2048)")
    Integer seq;

    @Option(names = "--windows", description = "window range A:B (0-based, B exclusive, either may be empty); default all")
    String windows;

    String readText() throws IOException {
        return TextCorpus.read(text);
    }

    /** The text as the model's token stream: one BOS (when the model has one), then the text. */
    static int[] stream(Model m, String content) {
        Tokenizer tok = m.requireTokenizer();
        return CalibrationSet.oneStream(tok, content, tok.bosTokenId().orElse(m.config().bosTokenId()));
    }

    /** --seq, or the model's context length capped at 2048. */
    int seq(Model m) {
        if (seq == null) return Math.min(2048, m.config().maxPositions());
        if (seq < 2) throw new ParameterException(spec.commandLine(), "--seq " + seq + ", expected at least 2");
        return seq;
    }

    /** {from, to} of --windows among {@code total} windows (all of them without --windows). */
    int[] range(int total) {
        if (windows == null) return new int[] {0, total};
        int[] ab;
        try {
            ab = CalibrationSet.parseWindows(windows);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return new int[] {ab[0], ab[1] < 0 ? total : ab[1]};
    }
}
