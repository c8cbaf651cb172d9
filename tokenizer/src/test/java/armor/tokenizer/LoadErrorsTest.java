package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives one clear line naming the file, field and value, never a crash. */
class LoadErrorsTest {
    @TempDir
    Path dir;

    private static final String MINIMAL = """
            {"added_tokens": [], "normalizer": NORMALIZER, "pre_tokenizer": PRE, "post_processor": null,
             "decoder": null, "model": {"type": "MODEL", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
            """;

    private IOException loadFailure(String normalizer, String pre, String model) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"),
                MINIMAL.replace("NORMALIZER", normalizer).replace("PRE", pre).replace("MODEL", model));
        return assertThrows(IOException.class, () -> Tokenizer.load(dir));
    }

    @Test
    void minimalTokenizerJsonLoadsAndMerges() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"),
                MINIMAL.replace("NORMALIZER", "null").replace("PRE", "null").replace("MODEL", "BPE"));
        Tokenizer t = Tokenizer.load(dir);
        assertEquals(List.of(2, 0), boxed(t.encode("aba", true)));
        assertEquals("ab a", t.decode(new int[] {2, 0}, false), "no decoder: tokens joined with spaces");
    }

    @Test
    void unknownModelTypeIsNamed() throws IOException {
        IOException e = loadFailure("null", "null", "Unigram");
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("'Unigram'"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerIsNamed() throws IOException {
        IOException e = loadFailure("null", "{\"type\": \"BertPreTokenizer\"}", "BPE");
        assertTrue(e.getMessage().contains("pre_tokenizer") && e.getMessage().contains("'BertPreTokenizer'"), e.getMessage());
    }

    @Test
    void unknownNormalizerIsNamed() throws IOException {
        IOException e = loadFailure("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"BertNormalizer\"}]}", "null", "BPE");
        assertTrue(e.getMessage().contains("normalizer.normalizers[0]") && e.getMessage().contains("'BertNormalizer'"),
                e.getMessage());
    }

    @Test
    void addBosTokenNeedsABosTokenOfTheVocabulary() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"),
                MINIMAL.replace("NORMALIZER", "null").replace("PRE", "null").replace("MODEL", "BPE"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"add_bos_token\": false}");
        assertTrue(Tokenizer.load(dir).bosTokenId().isEmpty(), "unknown bos_token: no id, no error");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"add_bos_token\": true}");
        IOException e = assertThrows(IOException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("add_bos_token") && e.getMessage().contains("'<s>'"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"ab\", \"add_bos_token\": true}");
        assertEquals(List.of(2, 2), boxed(Tokenizer.load(dir).encode("ab", true)), "BOS 'ab' (id 2) then the text");
    }

    @Test
    void badAddedTokenIsNamed() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), MINIMAL.replace("NORMALIZER", "null").replace("PRE", "null")
                .replace("MODEL", "BPE").replace("\"added_tokens\": []", "\"added_tokens\": [{\"id\": -3, \"content\": \"<x>\"}]"));
        IOException e = assertThrows(IOException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("added_tokens[0]") && e.getMessage().contains("-3"), e.getMessage());
    }

    @Test
    void brokenJsonAndMissingFilesAreNamed() throws IOException {
        IOException missing = assertThrows(IOException.class, () -> Tokenizer.load(dir));
        assertTrue(missing.getMessage().contains("no tokenizer.json"), missing.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        IOException broken = assertThrows(IOException.class, () -> Tokenizer.load(dir));
        assertTrue(broken.getMessage().contains("tokenizer.json") && broken.getMessage().contains("not valid JSON"),
                broken.getMessage());
    }

    @Test
    void invalidUnicodeTextAndOutOfRangeIds() {
        Tokenizer t = SharedData.tokenizer("qwen2.5-tokenizer");
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> t.encode("ab\uD800c", false));
        assertTrue(text.getMessage().contains("unpaired surrogate U+D800 at char index 2"), text.getMessage());
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {5, 999999}, false));
        assertTrue(id.getMessage().contains("999999") && id.getMessage().contains("0..151664"), id.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}, false));
    }

    private static List<Integer> boxed(int[] ids) {
        List<Integer> out = new ArrayList<>();
        for (int id : ids) out.add(id);
        return out;
    }
}
