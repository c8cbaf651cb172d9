package armor.cli;

import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor detokenize}: JSON arrays of token ids on stdin back to text. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
        description = {"Read a JSON array of token ids on stdin and print the decoded text (nothing appended).",
                "With --lines every input line is an array and every text is printed on its own line."})
public final class DetokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "Hugging Face model folder (tokenizer.json)")
    Path model;

    @Option(names = "--skip-special", description = "leave out special tokens (BOS, EOS, chat markers)")
    boolean skipSpecial;

    @Option(names = "--lines", description = "one JSON array a line, one text a line")
    boolean lines;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = TokenizerCommands.load(model);
        String input = TokenizerCommands.readStdinUtf8(System.in);
        PrintStream out = TokenizerCommands.utf8Out();
        if (lines) {
            List<String> arrays = TokenizerCommands.lines(input);
            for (int i = 0; i < arrays.size(); i++) {
                out.println(tokenizer.decode(ids(arrays.get(i), "stdin line " + (i + 1)), skipSpecial));
            }
        } else {
            out.print(tokenizer.decode(ids(input, "stdin"), skipSpecial));
        }
        out.flush();
        return 0;
    }

    static int[] ids(String json, String where) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(where + ": expected a JSON array of token ids, got: " + abbreviate(json));
        }
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException(where + ": expected a JSON array of token ids, got: " + abbreviate(json));
        }
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = node.get(i);
            if (!id.canConvertToInt() || !id.isIntegralNumber()) {
                throw new IllegalArgumentException(where + ": element " + i + " is " + id + ", not a token id (an integer)");
            }
            ids[i] = id.asInt();
        }
        return ids;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }
}
