package armor.cli;

import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor tokenize}: text on stdin to token ids, as llama.cpp's llama-tokenize does. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Read text (UTF-8) on stdin and print its token ids as a JSON array.",
                "The whole input is one text, final newline included (use printf or echo -n to leave it out).",
                "With --lines or --jsonl there is one text per input line and one output line per text, in order."})
public final class TokenizeCommand implements Callable<Integer> {
    /** A line holds exactly one JSON value: {@code "a" "b"} is an error, not the text "a". */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    @Option(names = "--model", required = true, description = "Hugging Face model folder (tokenizer.json)")
    Path model;

    @Option(names = "--no-special", description = "add no BOS/EOS (the post-processor's special tokens)")
    boolean noSpecial;

    @ArgGroup(exclusive = true)
    Batch batch;

    static final class Batch {
        @Option(names = "--lines", description = "every input line is its own text (without its newline): one JSON "
                + "array a line")
        boolean lines;

        @Option(names = "--jsonl", description = "every input line is a JSON string (JSON Lines), so a text may hold "
                + "newlines (\"a\\nb\"): one JSON array a line")
        boolean jsonl;
    }

    @Option(names = "--show-tokens", description = "print [{\"id\": .., \"token\": vocabulary string, \"text\": decoded}, ...]")
    boolean showTokens;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = TokenizerCommands.load(model);
        String text = TokenizerCommands.readStdinUtf8(System.in);
        List<String> texts;
        if (batch == null) texts = List.of(text);
        else if (batch.lines) texts = TokenizerCommands.lines(text);
        else texts = jsonStrings(TokenizerCommands.lines(text));
        PrintStream out = TokenizerCommands.utf8Out();
        for (String t : texts) {
            int[] ids = tokenizer.encode(t, !noSpecial);
            out.println(showTokens ? TokenizerCommands.tokensJson(tokenizer, ids) : TokenizerCommands.json(ids));
        }
        out.flush();
        return 0;
    }

    /** Every line parsed as one JSON string, all before any output, so a bad line leaves no partial result. */
    static List<String> jsonStrings(List<String> lines) {
        List<String> texts = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            JsonNode node;
            try {
                node = line.isBlank() ? null : JSON.readTree(line);
            } catch (Exception e) {
                node = null;
            }
            if (node == null || !node.isTextual()) {
                String found = line.isBlank() ? "an empty line" : abbreviate(line);
                throw new IllegalArgumentException("stdin line " + (i + 1) + ": expected a JSON string (--jsonl), got: "
                        + found);
            }
            texts.add(node.textValue());
        }
        return texts;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }
}
