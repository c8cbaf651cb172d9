package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written scanners cut every text exactly where the regex (the reference) cuts it. */
class FastSplitTest {
    private static final String TRICKY = "aZé\u017f\u212a\u0130ǅ\u02b0中\u3042"   // letters (incl. long s, Kelvin, dotted I, titlecase, modifier)
            + "19٣Ⅻ½"                                                       // numbers: Nd, Nd (Arabic), Nl, No
            + "  \t\n\n\r\u000b\u00a0\u2028\u3000\u001c\u0085"              // white space, and FS (not White_Space)
            + ".,'''\"-!?sStTrReEvVmMlLdD\u0301"                            // punctuation, contraction letters, combining mark
            + "\ud83e\udd99\ud835\udd0a\ud800\udf30";                       // emoji, math fraktur letter, Gothic letter

    static List<String> regexSplit(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    static List<String> fastSplit(FastSplit f, String text) {
        List<String> out = new ArrayList<>();
        f.split(text, out);
        return out;
    }

    static List<String> corpus() throws IOException {
        List<String> texts = new ArrayList<>(LlamaCppVocabTest.inputs("qwen2"));
        ObjectMapper json = new ObjectMapper();
        for (String row : Files.readAllLines(SharedData.require("data/wikitext-2-raw-v1/test.json"))) {
            if (!row.isBlank()) texts.add(json.readTree(row).path("text").asText());
        }
        for (String row : Files.readAllLines(SharedData.require("data/c4-sample/c4_sample.json"))) {
            if (!row.isBlank()) texts.add(json.readTree(row).path("text").asText());
        }
        Random random = new Random(7);
        int[] alphabet = TRICKY.codePoints().toArray();
        for (int k = 0; k < 20000; k++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(24);
            for (int i = 0; i < length; i++) s.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            texts.add(s.toString());
        }
        return texts;
    }

    @Test
    void llama3Qwen2AndGpt2ScannersMatchTheirRegexes() throws IOException {
        List<String> texts = corpus();
        Object[][] cases = {
                {FastSplit.LLAMA3_REGEX, FastSplit.forRegex(FastSplit.LLAMA3_REGEX)},
                {FastSplit.QWEN2_REGEX, FastSplit.forRegex(FastSplit.QWEN2_REGEX)},
                {FastSplit.GPT2_REGEX, new FastSplit(FastSplit.Family.GPT2)}};
        for (Object[] c : cases) {
            Pattern regex = OnigurumaRegex.compile((String) c[0], "test");
            FastSplit fast = (FastSplit) c[1];
            for (String text : texts) {
                assertEquals(regexSplit(regex, text), fastSplit(fast, text),
                        () -> c[0] + " on " + text.codePoints().mapToObj(cp -> String.format("U+%04X", cp)).toList());
            }
        }
    }

    @Test
    void loaderUsesTheScannersForOurFamilies() {
        PreTokenizer.Sequence qwen = (PreTokenizer.Sequence) preTokenizerOf("qwen2.5-tokenizer");
        assertEquals(PreTokenizer.FastIsolated.class, qwen.steps().get(0).getClass());
        PreTokenizer.Sequence llama3 = (PreTokenizer.Sequence) preTokenizerOf("llama3-tokenizer");
        assertEquals(PreTokenizer.FastIsolated.class, llama3.steps().get(0).getClass());
    }

    private static PreTokenizer preTokenizerOf(String model) {
        try {
            java.lang.reflect.Field f = HfTokenizer.class.getDeclaredField("preTokenizer");
            f.setAccessible(true);
            return (PreTokenizer) f.get(SharedData.tokenizer(model));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
