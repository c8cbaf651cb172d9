package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Streaming detokenization: the pieces must add up to the full decode, with no half characters on the way. */
class StreamDecoderTest {

    static List<String> texts() throws IOException {
        List<String> texts = new ArrayList<>(LlamaCppVocabTest.inputs("qwen2"));
        texts.add("Hello world");
        texts.add("🦙🦙 llamas: ñandú, 東京, Ελληνικά, \u00a0spaces  and\ttabs\n\nend");
        return texts;
    }

    static List<Tokenizer> tokenizers() throws IOException {
        Path gpt2 = SharedData.model("gpt2-tokenizer");
        return List.of(SharedData.tokenizer("llama2-tokenizer"), SharedData.tokenizer("llama3-tokenizer"),
                SharedData.tokenizer("qwen2.5-tokenizer"), SharedData.tokenizer("stories260K-hf"),
                Tokenizer.fromVocabAndMerges(gpt2.resolve("gpt2_vocab.json"), gpt2.resolve("gpt2_merges.txt")));
    }

    @Test
    void piecesAddUpToTheFullDecodeWithoutHalfCharacters() throws IOException {
        for (Tokenizer t : tokenizers()) {
            for (String text : texts()) {
                for (boolean skip : new boolean[] {true, false}) {
                    int[] ids = t.encode(text, true);
                    StreamDecoder stream = t.streamDecoder(skip);
                    StringBuilder joined = new StringBuilder();
                    for (int id : ids) {
                        String piece = stream.next(id);
                        assertWholeCharacters(piece);
                        joined.append(piece);
                    }
                    joined.append(stream.flush());
                    String full = t.decode(ids, skip);
                    assertEquals(full, joined.toString(), "stream of '" + text + "'");
                }
            }
        }
    }

    @Test
    void aContinuationStreamsTheTextThatFollowsThePrompt() throws IOException {
        for (Tokenizer t : tokenizers()) {
            for (String text : texts()) {
                int[] ids = t.encode(text, true);
                for (int cut = 1; cut < ids.length; cut += Math.max(1, ids.length / 5)) {
                    int[] prompt = Arrays.copyOf(ids, cut);
                    // a prompt is encoded text, so it ends on a whole character: skip cuts inside one
                    if (t.decode(prompt, true).contains("\uFFFD")) continue;
                    StreamDecoder stream = t.streamDecoder(true, prompt);
                    StringBuilder joined = new StringBuilder(t.decode(prompt, true));
                    for (int i = cut; i < ids.length; i++) joined.append(stream.next(ids[i]));
                    joined.append(stream.flush());
                    assertEquals(t.decode(ids, true), joined.toString(), "'" + text + "' continued after " + cut + " ids");
                }
            }
        }
        // the case users see: sentencepiece's "▁time" after "Once upon a" keeps its space
        Tokenizer stories = SharedData.tokenizer("stories260K-hf");
        int[] once = stories.encode("Once upon a time", true);
        StreamDecoder stream = stories.streamDecoder(true, Arrays.copyOf(once, once.length - 1));
        assertEquals(" time", stream.next(once[once.length - 1]) + stream.flush());
    }

    private static void assertWholeCharacters(String piece) {
        assertFalse(piece.contains("\uFFFD"), "a piece with a replacement character: " + piece);
        if (!piece.isEmpty()) {
            assertFalse(Character.isLowSurrogate(piece.charAt(0)), "piece starts inside a surrogate pair");
            assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), "piece ends inside a surrogate pair");
        }
    }

    @Test
    void chatMarkersInTheStreamAreKeptOrSkipped() {
        Tokenizer t = SharedData.tokenizer("qwen2.5-tokenizer");
        int[] ids = t.encode("<|im_start|>assistant\nHi there!<|im_end|>\n<|im_start|>user\n東京<|im_end|>", false);
        for (boolean skip : new boolean[] {true, false}) {
            StreamDecoder stream = t.streamDecoder(skip);
            StringBuilder joined = new StringBuilder();
            for (int id : ids) joined.append(stream.next(id));
            joined.append(stream.flush());
            assertEquals(skip ? "assistant\nHi there!\nuser\n東京"
                    : "<|im_start|>assistant\nHi there!<|im_end|>\n<|im_start|>user\n東京<|im_end|>", joined.toString());
        }
    }

    @Test
    void sentencepieceSpacesAreNeitherDroppedNorDoubled() {
        Tokenizer t = SharedData.tokenizer("llama2-tokenizer");
        StreamDecoder stream = t.streamDecoder(true);
        List<String> pieces = new ArrayList<>();
        for (int id : t.encode("Hello  world again", true)) pieces.add(stream.next(id));
        pieces.add(stream.flush());
        assertEquals("Hello  world again", String.join("", pieces));
        assertEquals("", pieces.get(0), "BOS is skipped");
        assertEquals("Hello", pieces.get(1), "the leading space of the text is stripped, as in decode");
        assertTrue(pieces.contains(" again"), pieces.toString());
    }

    @Test
    void bytesOfOneCharacterAreHeldUntilComplete() {
        Tokenizer t = SharedData.tokenizer("llama2-tokenizer");
        int[] ids = t.encode("🦙", false); // "▁" then 4 byte-fallback tokens
        StreamDecoder stream = t.streamDecoder(false);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) pieces.add(stream.next(id));
        assertEquals(List.of("", "", "", "", "🦙"), pieces.subList(pieces.size() - 5, pieces.size()));
        assertEquals("", stream.flush());
    }

    @Test
    void flushReturnsAnIncompleteTailAsReplacementText() {
        Tokenizer t = SharedData.tokenizer("qwen2.5-tokenizer");
        int[] ids = null;
        for (String rare : List.of("🦙", "𐌰", "𓀀", "🜁", "ꙮ")) { // find a character split over byte-level tokens
            int[] candidate = t.encode(rare, false);
            if (candidate.length >= 2) ids = candidate;
        }
        assertTrue(ids != null, "some rare character takes several byte-level tokens");
        StreamDecoder stream = t.streamDecoder(false);
        assertEquals("", stream.next(ids[0]));
        assertEquals(t.decode(new int[] {ids[0]}, false), stream.flush());
    }

    @Test
    void outOfRangeIdIsAClearError() {
        Tokenizer t = SharedData.tokenizer("stories260K-hf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.streamDecoder(true).next(512));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
    }
}
