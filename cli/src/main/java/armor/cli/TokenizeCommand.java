package armor.cli;

import armor.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor tokenize}: text on stdin to token ids, as llama.cpp's llama-tokenize does. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Read text (UTF-8) on stdin and print its token ids as a JSON array.",
                "The whole input is one text, final newline included (use printf or echo -n to leave it out)."})
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder (tokenizer.json)")
    Path model;

    @Option(names = "--no-special", description = "add no BOS/EOS (the post-processor's special tokens)")
    boolean noSpecial;

    @Option(names = "--lines", description = "every input line is its own text: one JSON array a line")
    boolean lines;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = TokenizerCommands.load(model);
        String text = TokenizerCommands.readStdinUtf8(System.in);
        PrintStream out = TokenizerCommands.utf8Out();
        if (lines) {
            for (String line : TokenizerCommands.lines(text)) out.println(TokenizerCommands.json(tokenizer.encode(line, !noSpecial)));
        } else {
            out.println(TokenizerCommands.json(tokenizer.encode(text, !noSpecial)));
        }
        out.flush();
        return 0;
    }
}
