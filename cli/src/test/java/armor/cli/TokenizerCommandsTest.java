package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer debugging commands, run through Main with stdin/stdout redirected. */
class TokenizerCommandsTest {
    private static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    private record Result(int exitCode, String out, String err) {}

    private static Result run(byte[] stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static String model(String name) {
        Path p = SHARED.resolve("models").resolve(name);
        Assumptions.assumeTrue(Files.isDirectory(p), "shared model missing: " + p);
        return p.toString();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void tokenizePrintsIdsWithAndWithoutBos() {
        String stories = model("stories260K-hf");
        assertEquals("[1, 403, 407, 261, 378]\n", run(utf8("Once upon a time"), "tokenize", "--model", stories).out());
        assertEquals("[403, 407, 261, 378]\n",
                run(utf8("Once upon a time"), "tokenize", "--model", stories, "--no-special").out());
    }

    @Test
    void showTokensListsVocabularyStringsAndText() {
        Result r = run(utf8("Once upon"), "tokenize", "--model", model("stories260K-hf"), "--show-tokens");
        assertEquals("[{\"id\":1,\"token\":\"<s>\",\"text\":\"<s>\"},{\"id\":403,\"token\":\"▁Once\",\"text\":\"Once\"},"
                + "{\"id\":407,\"token\":\"▁upon\",\"text\":\"upon\"}]\n", r.out());
    }

    @Test
    void tokenizeLinesGivesOneArrayPerLine() {
        Result r = run(utf8("Once upon a time\nOnce\n"), "tokenize", "--model", model("stories260K-hf"), "--lines");
        assertEquals("[1, 403, 407, 261, 378]\n[1, 403]\n", r.out());
    }

    @Test
    void tokenizeJsonlTakesOneJsonStringALineSoTextsMayHoldNewlines() {
        String stories = model("stories260K-hf");
        String multiLine = "Once upon\na time\n";
        // independent reference: each text tokenized on its own as the whole of stdin
        String expected = run(utf8(multiLine), "tokenize", "--model", stories).out()
                + run(utf8("Once"), "tokenize", "--model", stories).out();
        assertTrue(expected.startsWith("[1, 403, 407") && expected.endsWith("\n[1, 403]\n"), expected);
        Result r = run(utf8("\"Once upon\\na time\\n\"\n\"Once\"\n"), "tokenize", "--model", stories, "--jsonl");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(expected, r.out());
        assertEquals(2, r.out().lines().count());

        Result notString = run(utf8("\"Once\"\n[1, 2]\n"), "tokenize", "--model", stories, "--jsonl");
        assertEquals(1, notString.exitCode());
        assertEquals("", notString.out());
        assertTrue(notString.err().contains("stdin line 2: expected a JSON string (--jsonl), got: [1, 2]"), notString.err());
        Result twoValues = run(utf8("\"a\" \"b\"\n"), "tokenize", "--model", stories, "--jsonl");
        assertEquals(1, twoValues.exitCode());
        assertTrue(twoValues.err().contains("stdin line 1"), twoValues.err());
        Result blank = run(utf8("\"a\"\n\n\"b\"\n"), "tokenize", "--model", stories, "--jsonl");
        assertTrue(blank.err().contains("stdin line 2: expected a JSON string (--jsonl), got: an empty line"), blank.err());

        Result both = run(utf8("\"a\"\n"), "tokenize", "--model", stories, "--jsonl", "--lines");
        assertEquals(2, both.exitCode(), both.err());
    }

    @Test
    void detokenizeIsTheReverseAndRejectsBadIds() {
        String stories = model("stories260K-hf"); // byte fallback: any text comes back
        String text = "Hello 🦙, 東京!";
        String ids = run(utf8(text), "tokenize", "--model", stories, "--no-special").out();
        assertEquals(text, run(utf8(ids), "detokenize", "--model", stories).out());
        assertEquals("<s> Once\n<s> Once upon\n",
                run(utf8("[1, 403]\n[1, 403, 407]\n"), "detokenize", "--model", stories, "--lines").out());
        assertEquals("Once\n", run(utf8("[1, 403]\n"), "detokenize", "--model", stories, "--lines", "--skip-special").out());
        Result bad = run(utf8("[1, 999999]"), "detokenize", "--model", stories);
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("999999"), bad.err());
        Result notJson = run(utf8("1 2 3"), "detokenize", "--model", stories, "--lines");
        assertEquals(1, notJson.exitCode());
        assertTrue(notJson.err().contains("stdin line 1: expected a JSON array"), notJson.err());
    }

    @Test
    void invalidUtf8OnStdinIsAClearError() {
        Result r = run(new byte[] {'a', 'b', (byte) 0xFF}, "tokenize", "--model", model("stories260K-hf"));
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("stdin is not valid UTF-8") && r.err().contains("byte offset 2"), r.err());
    }

    @Test
    void chatTemplateRendersTheConversation(@TempDir Path dir) throws Exception {
        Path messages = dir.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}]");
        String qwen = model("qwen2.5-tokenizer");
        String conversation = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n";
        assertEquals(conversation + "<|im_start|>assistant\n",
                run(new byte[0], "chat-template", "--model", qwen, "--messages", messages.toString()).out());
        assertEquals(conversation, run(new byte[0], "chat-template", "--model", qwen, "--messages", messages.toString(),
                "--no-generation-prompt").out());
        Result plain = run(new byte[0], "chat-template", "--model", model("stories260K-hf"), "--messages", messages.toString());
        assertEquals("Be brief.\nHi", plain.out());
        assertTrue(plain.err().contains("no chat_template"), plain.err());
    }
}
