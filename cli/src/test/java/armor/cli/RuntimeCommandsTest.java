package armor.cli;

import armor.runtime.model.Model;
import armor.server.ModelServer;
import armor.server.ServerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runtime's commands end to end: generate, eval ppl, inspect, and their errors. */
class RuntimeCommandsTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final String STORIES = SHARED.resolve("models/stories260K-hf").toString();

    record Run(int exit, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void greedyGenerationPrintsKarpathysStoryAndOnlyTheStory() {
        Run r = run("generate", "--model", STORIES, "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "100");
        assertEquals(0, r.exit(), r.err());
        // llama2.c doc/stories260K.md, quoted in ../shared/DATA.md
        assertTrue(r.out().startsWith(", there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
                + "Lily's mom said, \"Lily, let's go to the park.\""), r.out());
        assertTrue(r.err().contains("tok/s"), r.err()); // statistics on stderr, not stdout
        assertTrue(!r.out().contains("tok/s"));
    }

    @Test
    void sameSeedSameTextAndStopStringsCut() {
        String[] args = {"generate", "--model", STORIES, "--prompt", "Once upon a time", "--temperature", "0.9",
                "--top-p", "0.9", "--seed", "1234", "--max-tokens", "40"};
        Run a = run(args), b = run(args);
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out());
        Run stopped = run("generate", "--model", STORIES, "--prompt", "Once upon a time", "--temperature", "0",
                "--stop", "Lily", "--max-tokens", "60");
        assertEquals(", there was a little girl named \n", stopped.out());
        assertTrue(stopped.err().contains("stop: stop_string"), stopped.err());
    }

    /**
     * One sampler for the command line and the server: the same seed and settings (every filter and penalty on)
     * give the same text through {@code armor generate} into a pipe and through a non-streamed /v1/completions.
     * tiny-qwen3-random-b samples gibberish full of byte-fallback runs that are not valid UTF-8, whose exact text
     * (one U+FFFD per byte of the run) streamed pieces would get wrong.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "tiny-qwen3-random-b"})
    void generateAndCompletionsGiveTheSameTextForTheSameSeed(String name) throws Exception {
        Path dir = SHARED.resolve("models").resolve(name);
        String prompt = "Once upon a time";
        Run cli = run("generate", "--model", dir.toString(), "--prompt", prompt, "--seed", "1234", "--max-tokens", "40",
                "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--min-p", "0.02", "--presence-penalty", "0.5",
                "--frequency-penalty", "0.3", "--repetition-penalty", "1.1");
        assertEquals(0, cli.exit(), cli.err());
        String body = "{\"model\":\"m\",\"prompt\":\"" + prompt + "\",\"seed\":1234,\"max_tokens\":40,"
                + "\"temperature\":0.9,\"top_k\":40,\"top_p\":0.95,\"min_p\":0.02,\"presence_penalty\":0.5,"
                + "\"frequency_penalty\":0.3,\"repetition_penalty\":1.1}";
        String text;
        try (Model model = Model.load(dir);
             ModelServer server = ModelServer.start(model, model.requireTokenizer(), "m", ServerConfig.loopback(0), 4, 8, 256)) {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, resp.statusCode(), resp.body());
            JsonNode choice = new ObjectMapper().readTree(resp.body()).get("choices").get(0);
            text = choice.get("text").asText();
        }
        assertTrue(text.length() > 20, text);
        assertEquals(text + "\n", cli.out());
        if (name.startsWith("tiny-qwen3")) assertTrue(text.contains("\uFFFD"), "a byte-fallback run: " + text);
    }

    @Test
    void perplexityOfTinyStoriesMatchesTransformers() {
        Run r = run("eval", "ppl", "--model", STORIES, "--text",
                SHARED.resolve("data/tinystories/tinystories.txt").toString(), "--seq", "256");
        assertEquals(0, r.exit(), r.err());
        double ppl = Double.parseDouble(r.out().trim());
        assertEquals(6.3065, ppl, 0.005, r.err()); // ../shared/DATA.md, Hugging Face transformers float32
        assertTrue(r.err().contains("393 windows"), r.err());
    }

    @Test
    void inspectShowsShapeParametersAndTensors() {
        Run r = run("inspect", "--model", SHARED.resolve("models/tiny-llama3-random").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("LlamaForCausalLM"), r.out());
        assertTrue(r.out().contains("untied"), r.out());
        assertTrue(r.out().contains("llama3"), r.out());
        assertTrue(r.out().contains("lm_head.weight"), r.out());
        assertTrue(r.out().matches("(?s).*model\\.layers\\.2\\.mlp\\.down_proj\\.weight\\s+BF16\\s+\\[128, 384\\].*"), r.out());
    }

    @Test
    void errorsAreOneLineWithExitCodes() {
        Run missing = run("generate", "--model", "/nonexistent/model", "--prompt", "x");
        assertEquals(1, missing.exit());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("/nonexistent/model") && missing.err().contains("not found"), missing.err());

        Run badFlag = run("generate", "--model", STORIES, "--prompt", "x", "--top-p", "2");
        assertEquals(2, badFlag.exit()); // a flag value out of range is bad usage
        assertTrue(badFlag.err().contains("top-p 2.0, expected in (0, 1]"), badFlag.err());

        Run usage = run("generate", "--model", STORIES);
        assertEquals(2, usage.exit());

        StringBuilder longPrompt = new StringBuilder();
        for (int i = 0; i < 600; i++) longPrompt.append("the cat ");
        Run tooLong = run("generate", "--model", STORIES, "--prompt", longPrompt.toString());
        assertEquals(1, tooLong.exit());
        assertTrue(tooLong.err().contains("context length 512"), tooLong.err());

        Run noText = run("eval", "ppl", "--model", STORIES, "--text", "/nonexistent.txt", "--seq", "256");
        assertEquals(1, noText.exit());
        assertTrue(noText.err().contains("/nonexistent.txt"), noText.err());
    }
}
