package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pre-tokenizers and decoders on the examples of the tokenizers library's documentation and tests. */
class PreTokenizerTest {

    private static List<String> split(PreTokenizer p, String text, boolean first) {
        List<String> out = new ArrayList<>();
        p.split(text, first, out);
        return out;
    }

    @Test
    void splitBehavioursOnTheDocumentationExample() {
        String text = "the-final--countdown";
        Pattern dash = Pattern.compile("-");
        assertEquals(List.of("the", "final", "countdown"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.REMOVED, false), text, true));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.ISOLATED, false), text, true));
        assertEquals(List.of("the-", "final-", "-", "countdown"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false), text, true));
        assertEquals(List.of("the", "-final", "-", "-countdown"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MERGED_WITH_NEXT, false), text, true));
        assertEquals(List.of("the", "-", "final", "--", "countdown"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.CONTIGUOUS, false), text, true));
        assertEquals(List.of("-", "-", "-"),
                split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.REMOVED, true), text, true), "invert keeps matches");
    }

    @Test
    void metaspaceAsInTheTokenizersTests() {
        PreTokenizer always = new PreTokenizer.Metaspace('\u2581', "always", true);
        assertEquals(List.of("▁Hey", "▁friend!"), split(always, "Hey friend!", true));
        assertEquals(List.of("▁Hey", "▁", "▁", "▁friend!"), split(always, "Hey   friend!", true));
        assertEquals(List.of("▁Hey▁friend!"), split(new PreTokenizer.Metaspace('\u2581', "always", false), "Hey friend!", true));
        PreTokenizer first = new PreTokenizer.Metaspace('\u2581', "first", false);
        assertEquals(List.of("▁Hey"), split(first, "Hey", true));
        assertEquals(List.of("Hey"), split(first, "Hey", false), "not at the start of the input: no prefix");
        assertEquals(List.of("▁Hey"), split(first, " Hey", true), "already starts with ▁: none added");
    }

    @Test
    void metaspaceDecoderDropsEveryReplacementOfTheFirstToken() {
        assertEquals(List.of("Hey", " friend!"), new Decoder.Metaspace('\u2581', true).decodeChain(List.of("▁Hey", "▁friend!")));
        assertEquals(List.of(" Hey"), new Decoder.Metaspace('\u2581', false).decodeChain(List.of("▁Hey")));
        assertEquals(List.of("Hey", " "), new Decoder.Metaspace('\u2581', true).decodeChain(List.of("▁▁Hey", "▁")));
    }

    @Test
    void byteFallbackDecoderJoinsBytesAndReplacesInvalidOnes() {
        Decoder d = new Decoder.ByteFallback();
        assertEquals(List.of("a", "é", "b"), d.decodeChain(List.of("a", "<0xC3>", "<0xA9>", "b")));
        assertEquals(List.of("\uFFFD", "\uFFFD", "b"), d.decodeChain(List.of("<0xC3>", "<0xC3>", "b")));
    }

    @Test
    void stripDecoderCutsAtMostTheGivenCounts() {
        Decoder strip = new Decoder.Strip(' ', 1, 0);
        assertEquals(List.of(" Hello "), strip.decodeChain(List.of("  Hello ")));
        assertEquals(List.of("Hi "), new Decoder.Strip(' ', 0, 2).decodeChain(List.of("Hi   ")));
    }
}
