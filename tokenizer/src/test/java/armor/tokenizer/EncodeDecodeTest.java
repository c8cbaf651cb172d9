package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoding with special tokens and BOS, decoding, against Hugging Face transformers' reference outputs. */
class EncodeDecodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void stories260KOnceUponATimeWithBos() throws IOException {
        Tokenizer t = SharedData.tokenizer("stories260K-hf");
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time", true));
        assertArrayEquals(new int[] {403, 407, 261, 378}, t.encode("Once upon a time", false));
        assertEquals(1, t.bosTokenId().getAsInt());
        assertEquals(2, t.eosTokenId().getAsInt());
        assertEquals(512, t.vocabSize());
    }

    /**
     * input_ids (BOS added) and the decoded greedy continuation, from transformers, for every fixture prompt.
     * tiny-qwen2-random is left out on purpose: its tokenizer.json is byte-identical to stories260K's, but its
     * fixture was made by transformers 5, which rebuilds a Qwen2 byte-level pipeline from model_type=qwen2 and so
     * drops every space ("Once upon" -> O n ce u p on); we follow tokenizer.json, as the tokenizers library does.
     */
    @Test
    void fixturesInputIdsAndGreedyText() throws IOException {
        for (String model : List.of("stories260K", "tiny-llama3-random")) {
            Tokenizer t = SharedData.tokenizer(model.equals("stories260K") ? "stories260K-hf" : model);
            JsonNode ref = JSON.readTree(SharedData.require("fixtures/" + model + "-reference.json").toFile());
            for (JsonNode c : ref.path("cases")) {
                assertArrayEquals(ints(c.path("input_ids")), t.encode(c.path("prompt").asText(), true),
                        model + ": " + c.path("prompt").asText());
            }
            if (model.equals("stories260K")) { // its greedy_text is decode(greedy_ids, skip_special_tokens=True)
                for (JsonNode c : ref.path("cases")) {
                    assertEquals(c.path("greedy_text").asText(), t.decode(ints(c.path("greedy_ids")), true));
                }
            }
        }
    }

    @Test
    void llama3SpecialTokensAreSplitOutBeforeBpe() throws IOException {
        Tokenizer t = SharedData.tokenizer("llama3-tokenizer");
        // Reference from ../shared/DATA.md (checked with Hugging Face tokenizers).
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 9906, 128009},
                t.encode("<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", true));
        assertEquals(128000, t.bosTokenId().getAsInt());
        assertEquals(128009, t.eosTokenId().getAsInt());
        int[] ids = t.encode("<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", true);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", t.decode(ids, false));
        assertEquals("user\n\nHello", t.decode(ids, true));
        assertEquals("<|begin_of_text|>Hello", t.decode(new int[] {128000, 9906}, false));
        assertEquals("Hello", t.decode(new int[] {128000, 9906}, true));
        assertEquals(128256, t.vocabSize());
    }

    @Test
    void qwenAddsNoBosAndSplitsChatMarkers() throws IOException {
        Tokenizer t = SharedData.tokenizer("qwen2.5-tokenizer");
        int imStart = t.tokenToId("<|im_start|>").getAsInt();
        int imEnd = t.tokenToId("<|im_end|>").getAsInt();
        assertEquals(151644, imStart);
        assertEquals(151645, imEnd);
        assertTrue(t.bosTokenId().isEmpty());
        assertEquals(imEnd, t.eosTokenId().getAsInt());
        int[] body = t.encode("user\nHi there", false);
        int[] expected = new int[body.length + 2];
        expected[0] = imStart;
        System.arraycopy(body, 0, expected, 1, body.length);
        expected[body.length + 1] = imEnd;
        assertArrayEquals(expected, t.encode("<|im_start|>user\nHi there<|im_end|>", true));
        assertTrue(t.isSpecial(imStart));
        assertTrue(!t.isSpecial(t.tokenToId("<tool_call>").getAsInt()), "<tool_call> is added but not special");
    }

    @Test
    void qwenNormalizesToNfcBeforeBpe() throws IOException {
        Tokenizer t = SharedData.tokenizer("qwen2.5-tokenizer");
        // "é" as e + combining acute (NFD) must encode like the precomposed é.
        assertArrayEquals(t.encode("caf\u00e9", false), t.encode("cafe\u0301", false));
    }

    @Test
    void llama2ByteFallbackRoundTripsCharactersOutsideTheVocabulary() throws IOException {
        Tokenizer t = SharedData.tokenizer("llama2-tokenizer");
        String text = "Hello 🦙 world \u0007";
        int[] ids = t.encode(text, false);
        int fallback = 0;
        for (int id : ids) if (t.idToToken(id).matches("<0x[0-9A-F]{2}>")) fallback++;
        assertEquals(5, fallback, "4 bytes for the llama emoji and 1 for BEL");
        assertEquals(text, t.decode(ids, false));
    }

    /** decode(encode(s)) == s for every line of WikiText-2 test, for the byte-level tokenizers. */
    @Test
    void byteLevelRoundTripOnWikiText2() throws IOException {
        List<String> lines = new ArrayList<>();
        for (String row : java.nio.file.Files.readAllLines(SharedData.require("data/wikitext-2-raw-v1/test.json"))) {
            if (!row.isBlank()) lines.add(JSON.readTree(row).path("text").asText());
        }
        assertEquals(4358, lines.size());
        Path gpt2 = SharedData.model("gpt2-tokenizer");
        List<Tokenizer> tokenizers = List.of(SharedData.tokenizer("qwen2.5-tokenizer"),
                SharedData.tokenizer("llama3-tokenizer"),
                Tokenizer.fromVocabAndMerges(gpt2.resolve("gpt2_vocab.json"), gpt2.resolve("gpt2_merges.txt")));
        for (Tokenizer t : tokenizers) {
            int mismatches = 0;
            String first = null;
            for (String line : lines) {
                String back = t.decode(t.encode(line, true), true);
                if (!back.equals(line)) {
                    mismatches++;
                    if (first == null) first = line;
                }
            }
            assertEquals(0, mismatches, "first mismatch: " + first);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
