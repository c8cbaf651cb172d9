package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Added-token matching options, on a character vocabulary where every expected id can be read off by hand:
 * a=0 b=1 c=2 ' '=3 x=4, added: [M]=10 (lstrip), [R]=11 (rstrip), ab=12 (single_word), xy=13 (normalized).
 */
class AddedTokensTest {
    @TempDir
    Path dir;
    Tokenizer t;

    @BeforeEach
    void write() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"added_tokens": [
                  {"id": 10, "content": "[M]", "special": true, "lstrip": true, "rstrip": false, "single_word": false, "normalized": false},
                  {"id": 11, "content": "[R]", "special": true, "lstrip": false, "rstrip": true, "single_word": false, "normalized": false},
                  {"id": 12, "content": "ab", "special": false, "lstrip": false, "rstrip": false, "single_word": true, "normalized": false},
                  {"id": 13, "content": "xy", "special": false, "lstrip": false, "rstrip": false, "single_word": false, "normalized": true}],
                 "normalizer": {"type": "Replace", "pattern": {"String": "X"}, "content": "x"},
                 "pre_tokenizer": null, "post_processor": null,
                 "decoder": {"type": "Fuse"},
                 "model": {"type": "BPE", "unk_token": null, "vocab": {"a": 0, "b": 1, "c": 2, " ": 3, "x": 4, "y": 5, "X": 6}, "merges": []}}
                """);
        t = Tokenizer.load(dir);
    }

    @Test
    void lstripSwallowsSpacesOnTheLeftOnly() {
        assertArrayEquals(new int[] {0, 10, 3, 1}, t.encode("a  [M] b", false));
    }

    @Test
    void rstripSwallowsSpacesOnTheRightOnly() {
        assertArrayEquals(new int[] {0, 3, 11, 1}, t.encode("a [R]  b", false));
    }

    @Test
    void singleWordTokensOnlyMatchWholeWords() {
        assertArrayEquals(new int[] {12, 3, 2, 0, 1, 3, 0, 1, 2}, t.encode("ab cab abc", false));
    }

    @Test
    void normalizedTokensMatchAfterNormalization() {
        // "Xy" normalizes to "xy", which is the normalized added token; "X" alone becomes plain "x".
        assertArrayEquals(new int[] {13, 3, 4}, t.encode("Xy X", false));
    }

    @Test
    void skipSpecialDropsOnlySpecialTokens() {
        assertEquals("a[M]ab", t.decode(new int[] {0, 10, 12}, false));
        assertEquals("aab", t.decode(new int[] {0, 10, 12}, true));
    }
}
