package armor.cli;

import armor.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--show-tokens", description = "print [{\"id\": .., \"token\": vocabulary string, \"text\": decoded}, ...]")
    boolean showTokens;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = TokenizerCommands.load(model);
        String text = TokenizerCommands.readStdinUtf8(System.in);
        PrintStream out = TokenizerCommands.utf8Out();
        List<String> texts = lines ? TokenizerCommands.lines(text) : List.of(text);
        for (String t : texts) {
            int[] ids = tokenizer.encode(t, !noSpecial);
            out.println(showTokens ? TokenizerCommands.tokensJson(tokenizer, ids) : TokenizerCommands.json(ids));
        }
        out.flush();
        return 0;
    }
}
