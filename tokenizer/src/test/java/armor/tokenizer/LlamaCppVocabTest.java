package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out): 46 strings each, the expected ids
 * without BOS. Every tokenizer family must reproduce all of them.
 */
class LlamaCppVocabTest {

    @Test
    void llamaSpmMatchesLlama2TokenizerJson() throws IOException {
        check("llama-spm", SharedData.tokenizer("llama2-tokenizer"));
    }

    @Test
    void llamaBpeMatchesLlama3TokenizerJson() throws IOException {
        check("llama-bpe", SharedData.tokenizer("llama3-tokenizer"));
    }

    @Test
    void qwen2MatchesQwen25TokenizerJson() throws IOException {
        check("qwen2", SharedData.tokenizer("qwen2.5-tokenizer"));
    }

    @Test
    void gpt2MatchesGpt2VocabAndMerges() throws IOException {
        Path dir = SharedData.model("gpt2-tokenizer");
        check("gpt-2", Tokenizer.fromVocabAndMerges(dir.resolve("gpt2_vocab.json"), dir.resolve("gpt2_merges.txt")));
    }

    static List<String> inputs(String vocab) throws IOException {
        String all = Files.readString(SharedData.model("llama.cpp-vocab/ggml-vocab-" + vocab + ".gguf.inp"));
        String separator = "\n__ggml_vocab_test__\n";
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = all.indexOf(separator); at >= 0; at = all.indexOf(separator, from)) {
            out.add(all.substring(from, at));
            from = at + separator.length();
        }
        return out;
    }

    static List<int[]> expected(String vocab) throws IOException {
        List<int[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(SharedData.model("llama.cpp-vocab/ggml-vocab-" + vocab + ".gguf.out"),
                StandardCharsets.UTF_8)) {
            String t = line.strip();
            out.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return out;
    }

    private static void check(String vocab, Tokenizer tokenizer) throws IOException {
        List<String> inputs = inputs(vocab);
        List<int[]> expected = expected(vocab);
        assertEquals(46, inputs.size(), "test strings in " + vocab + ".inp");
        assertEquals(46, expected.size(), "expected id lines in " + vocab + ".out");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] got = tokenizer.encode(inputs.get(i), false);
            if (!Arrays.equals(expected.get(i), got)) {
                failures.add("#" + i + " " + Arrays.toString(inputs.get(i).codePoints().toArray()) + " '" + inputs.get(i)
                        + "'\n   expected " + Arrays.toString(expected.get(i)) + "\n   got      " + Arrays.toString(got));
            }
        }
        assertEquals(List.of(), failures, vocab + ": " + (46 - failures.size()) + " of 46 match");
    }
}
