package armor.cli;

import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static armor.cli.RuntimeCommandsTest.SHARED;
import static armor.cli.RuntimeCommandsTest.STORIES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code armor chat} on stories260K (no chat template: the plain fallback joins the turns with newlines). */
class ChatCommandTest {

    static synchronized RuntimeCommandsTest.Run chat(String stdin, String... args) {
        InputStream oldIn = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return RuntimeCommandsTest.run(args);
        } finally {
            System.setIn(oldIn);
        }
    }

    static String generate(String prompt) {
        RuntimeCommandsTest.Run g = RuntimeCommandsTest.run("generate", "--model", STORIES, "--prompt", prompt,
                "--temperature", "0", "--max-tokens", "24");
        assertEquals(0, g.exit(), g.err());
        return g.out(); // the reply and a newline, as chat prints it
    }

    @Test
    void twoTurnsEqualGenerateOnTheRenderedConversationAndReuseTheCache() {
        String first = "Once upon a time", second = "The dog was sad";
        RuntimeCommandsTest.Run r = chat(first + "\n" + second + "\n/reset\n" + first + "\n",
                "chat", "--model", STORIES, "--temperature", "0", "--max-tokens", "24");
        assertEquals(0, r.exit(), r.err());
        String reply1 = generate(first);
        // the plain fallback renders the conversation as its messages joined by newlines
        String reply2 = generate(first + "\n" + reply1.substring(0, reply1.length() - 1) + "\n" + second);
        assertTrue(reply1.length() > 10 && !reply1.equals(reply2), reply1 + " / " + reply2);
        assertEquals(reply1 + reply2 + reply1, r.out());
        // turn 2 prefilled only what follows turn 1's tokens in the cache; after /reset nothing is reused
        Matcher m = Pattern.compile("\\((\\d+) reused\\)").matcher(r.err());
        int[] reused = m.results().mapToInt(x -> Integer.parseInt(x.group(1))).toArray();
        assertEquals(3, reused.length, r.err());
        assertEquals(0, reused[0]);
        // the plain rendering puts a newline between the turns, where the model continued the text directly, so the
        // cache is kept up to the end of the first prompt (BOS + "Once upon a time") and the rest is prefilled again
        int firstPrompt = Integer.parseInt(r.err().replaceAll("(?s)^.*?prompt (\\d+) new tokens.*$", "$1"));
        assertEquals(firstPrompt, reused[1], r.err());
        assertEquals(0, reused[2]);
        assertTrue(r.err().contains("conversation reset"), r.err());
    }

    @Test
    void exitEndsTheChatAndEmptyInputIsFine() {
        RuntimeCommandsTest.Run r = chat("/exit\nOnce upon a time\n", "chat", "--model", STORIES, "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        RuntimeCommandsTest.Run empty = chat("", "chat", "--model", STORIES);
        assertEquals(0, empty.exit(), empty.err());
        assertEquals("", empty.out());
    }

    @Test
    void aTurnBeyondTheContextIsRefusedAndTheChatGoesOn() {
        String tooLong = "the cat ".repeat(600); // stories260K's context is 512 tokens
        RuntimeCommandsTest.Run r = chat(tooLong + "\nOnce upon a time\n", "chat", "--model", STORIES,
                "--temperature", "0", "--max-tokens", "24");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("the context length is 512"), r.err());
        assertEquals(generate("Once upon a time"), r.out()); // the refused turn left nothing in the conversation
    }

    @Test
    void badSamplingValueIsAUsageError() {
        RuntimeCommandsTest.Run r = chat("hi\n", "chat", "--model", STORIES, "--top-p", "0");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("top-p 0.0, expected in (0, 1]"), r.err());
        RuntimeCommandsTest.Run g = RuntimeCommandsTest.run("generate", "--model", STORIES, "--prompt", "x",
                "--temperature", "-1");
        assertEquals(2, g.exit(), g.err());
        assertTrue(g.err().contains("temperature -1.0, expected >= 0"), g.err());
    }

    @Test
    void endOfTurnTokenComesFromTheTemplate() throws Exception {
        // Qwen2.5's template closes every message with <|im_end|>, Llama 3.1's with <|eot_id|> (their EOS is another id)
        for (String[] c : new String[][]{{"qwen2.5-tokenizer", "<|im_end|>"}, {"llama3-tokenizer", "<|eot_id|>"}}) {
            Tokenizer tok = Tokenizer.load(SHARED.resolve("models").resolve(c[0]));
            assertEquals(Set.of(tok.tokenToId(c[1]).orElseThrow()),
                    armor.runtime.generate.StopPolicy.endOfTurnIds(tok.chatTemplateOrPlain(), tok), c[0]);
        }
        try (Model m = Model.load(Path.of(STORIES))) {
            Tokenizer tok = m.requireTokenizer();
            assertEquals(Set.of(), armor.runtime.generate.StopPolicy.endOfTurnIds(tok.chatTemplateOrPlain(), tok));
        }
    }
}
