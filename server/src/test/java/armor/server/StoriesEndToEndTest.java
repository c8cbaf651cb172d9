package armor.server;

import armor.runtime.eval.Perplexity;
import armor.runtime.model.Model;
import armor.runtime.generate.ModelDecoder;
import armor.server.metrics.ServerMetrics;
import armor.runtime.generate.BatchScheduler;
import armor.runtime.generate.FinishReason;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.SequenceListener;
import armor.runtime.generate.SequenceRequest;
import armor.runtime.generate.TokenLogprob;
import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static armor.server.TestServer.json;
import static armor.server.TestServer.sseEvents;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The real runtime and tokenizer behind the real server, on stories260K-hf, checked against Hugging Face
 * transformers' reference outputs and against the runtime's perplexity evaluation ({@code armor eval ppl}).
 */
class StoriesEndToEndTest {
    static Path dir;
    static Model model;
    static Tokenizer tokenizer;
    static ModelServer server;
    static final HttpClient client = HttpClient.newHttpClient();
    static JsonNode fixture;

    @BeforeAll
    static void start() throws Exception {
        Path shared = Path.of(System.getProperty("armor.shared", "../shared"));
        dir = shared.resolve("models/stories260K-hf");
        fixture = json(Files.readString(shared.resolve("fixtures/stories260K-reference.json"))).get("cases").get(0);
        model = Model.load(dir);
        tokenizer = Tokenizer.load(dir);
        server = ModelServer.start(model, tokenizer, "stories260K", ServerConfig.loopback(0), 8, 64, 256);
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static int[] ids(JsonNode arr) {
        JsonNode a = arr.isTextual() ? uncheckedJson(arr.asText()) : arr;
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    static JsonNode uncheckedJson(String s) {
        try {
            return json(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void greedyCompletionReproducesTransformers() throws Exception {
        String prompt = fixture.get("prompt").asText();
        int[] greedy = ids(fixture.get("greedy_ids"));
        String expected = tokenizer.decode(greedy, true);
        JsonNode j = json(post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":" + greedy.length + ",\"temperature\":0}").body());
        assertEquals(expected, j.get("choices").get(0).get("text").asText());
        assertEquals(ids(fixture.get("input_ids")).length, j.get("usage").get("prompt_tokens").asInt());
        assertEquals(greedy.length, j.get("usage").get("completion_tokens").asInt());
        assertTrue(expected.startsWith(fixture.get("greedy_text").asText().substring(0, 40)));

        // The plain chat fallback of a base model: one user message is that text as the prompt.
        HttpResponse<String> s = post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + prompt + "\"}],\"max_tokens\":" + greedy.length + ",\"temperature\":0,\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (String e : sseEvents(s.body())) {
            if (e.equals("[DONE]")) break;
            JsonNode d = json(e).get("choices").get(0).get("delta");
            if (d.has("content")) text.append(d.get("content").asText());
        }
        assertEquals(expected, text.toString());
    }

    /** Prompts fed in chunks of 3 tokens across steps still give transformers' greedy continuation. */
    @Test
    void chunkedPrefillOnTheRuntimeReproducesTransformers() throws Exception {
        int[] input = ids(fixture.get("input_ids"));
        int[] greedy = ids(fixture.get("greedy_ids"));
        var metrics = new ServerMetrics();
        try (var scheduler = new BatchScheduler<>(new ModelDecoder(model),
                4, 4, 3, metrics)) {
            int[][] got = new int[2][];
            var done = new CountDownLatch(2);
            List<SequenceRequest> reqs = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                int slot = k;
                List<Integer> out = new ArrayList<>();
                reqs.add(new SequenceRequest(input, greedy.length,
                        SamplingParams.GREEDY, -1, false, Set.of(),
                        new SequenceListener() {
                            @Override
                            public boolean onToken(int token, TokenLogprob lp) {
                                out.add(token);
                                return true;
                            }

                            @Override
                            public void onFinish(FinishReason reason, int n) {
                                got[slot] = out.stream().mapToInt(Integer::intValue).toArray();
                                done.countDown();
                            }

                            @Override
                            public void onError(RuntimeException error) {
                                done.countDown();
                            }
                        }));
            }
            scheduler.submit(reqs);
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertArrayEquals(greedy, got[0]);
            assertArrayEquals(greedy, got[1]);
        }
    }

    @Test
    void seededChatStreamsTheSameTextItReturnsWhole() throws Exception {
        String body = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily wanted\"}],"
                + "\"max_tokens\":60,\"temperature\":0.9,\"top_p\":0.9,\"seed\":42";
        JsonNode whole = json(post("/v1/chat/completions", body + "}").body());
        String expected = whole.get("choices").get(0).get("message").get("content").asText();
        StringBuilder streamed = new StringBuilder();
        JsonNode usage = null;
        for (String e : sseEvents(post("/v1/chat/completions", body
                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}").body())) {
            if (e.equals("[DONE]")) break;
            JsonNode ch = json(e);
            if (ch.get("choices").isEmpty()) usage = ch.get("usage");
            else if (ch.get("choices").get(0).get("delta").has("content")) {
                streamed.append(ch.get("choices").get(0).get("delta").get("content").asText());
            }
        }
        assertEquals(expected, streamed.toString());
        assertEquals(whole.get("usage"), usage);
        String greedy = json(post("/v1/chat/completions", body.replace("0.9,\"top_p", "0,\"top_p") + "}").body())
                .get("choices").get(0).get("message").get("content").asText();
        assertNotEquals(greedy, expected, "the seed samples, it does not fall back to greedy");
    }

    @Test
    void stopStringsNChoicesAndChatLogprobsOnTheRealModel() throws Exception {
        String prompt = fixture.get("prompt").asText();
        String greedy = tokenizer.decode(ids(fixture.get("greedy_ids")), true);
        JsonNode s = json(post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":48,\"temperature\":0,\"stop\":[\"Lily\"]}").body()).get("choices").get(0);
        assertEquals(greedy.substring(0, greedy.indexOf("Lily")), s.get("text").asText());
        assertEquals("stop", s.get("finish_reason").asText());

        JsonNode n = json(post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":20,\"temperature\":1,\"seed\":5,\"n\":3}").body());
        assertEquals(3, n.get("choices").size());
        Set<String> texts = new HashSet<>();
        for (JsonNode c : n.get("choices")) texts.add(c.get("text").asText());
        assertTrue(texts.size() > 1, "independent samples: " + texts);
        assertEquals(ids(fixture.get("input_ids")).length, n.get("usage").get("prompt_tokens").asInt());

        // Chat through the plain fallback: the same prompt ids, so the first logprob is transformers' own.
        JsonNode c = json(post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + prompt + "\"}],\"max_tokens\":8,\"temperature\":0,\"logprobs\":true,"
                + "\"top_logprobs\":2}").body()).get("choices").get(0);
        JsonNode content = c.get("logprobs").get("content");
        assertEquals(8, content.size());
        for (JsonNode e : content) {
            assertEquals(e.get("token").asText(), e.get("top_logprobs").get(0).get("token").asText(), "greedy = top-1");
            assertEquals(e.get("logprob").asDouble(), e.get("top_logprobs").get(0).get("logprob").asDouble(), 1e-6);
        }
        JsonNode lastLogits = fixture.get("last_logits");
        JsonNode logits = lastLogits.isTextual() ? uncheckedJson(lastLogits.asText()) : lastLogits;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (JsonNode v : logits) max = Math.max(max, v.asDouble());
        for (JsonNode v : logits) sum += Math.exp(v.asDouble() - max);
        int first = ids(fixture.get("greedy_ids"))[0];
        assertEquals(logits.get(first).asDouble() - max - Math.log(sum), content.get(0).get("logprob").asDouble(), 1e-3);
        assertEquals(tokenizer.decode(Arrays.copyOf(ids(fixture.get("greedy_ids")), 8), true),
                c.get("message").get("content").asText());
    }

    /**
     * 32 concurrent streaming clients, 4 seeds each used by 8 of them: every response complete and well formed, none
     * lost, and clients with the same seed get the same text although they ran in batches of different make-up.
     */
    @Test
    void thirtyTwoConcurrentStreamingClients() throws Exception {
        int clients = 32, maxTokens = 48;
        String[] prompts = {"Once upon a time", "Lily and Ben", "The little dog", "One day"};
        List<Future<String[]>> futures = new ArrayList<>();
        long[] latencies = new long[clients];
        long t0 = System.nanoTime();
        try (var pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int id = c;
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\""
                            + prompts[id % 4] + "\",\"max_tokens\":" + maxTokens + ",\"temperature\":0.8,\"seed\":"
                            + (id % 4) + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
                    latencies[id] = System.nanoTime() - start;
                    return new String[] {String.valueOf(r.statusCode()), r.body()};
                }));
            }
            long totalTokens = 0;
            String[] textBySeed = new String[4];
            for (int c = 0; c < clients; c++) {
                String[] r = futures.get(c).get(120, TimeUnit.SECONDS);
                assertEquals("200", r[0], r[1]);
                List<String> events = sseEvents(r[1]);
                assertEquals("[DONE]", events.getLast(), "client " + c + " stream complete");
                StringBuilder text = new StringBuilder();
                String finish = null;
                JsonNode usage = null;
                for (String e : events.subList(0, events.size() - 1)) {
                    JsonNode ch = json(e);
                    if (ch.get("choices").isEmpty()) {
                        usage = ch.get("usage");
                        continue;
                    }
                    JsonNode choice = ch.get("choices").get(0);
                    text.append(choice.get("text").asText());
                    if (!choice.get("finish_reason").isNull()) finish = choice.get("finish_reason").asText();
                }
                assertNotNull(finish, "client " + c + " got a finish_reason");
                assertNotNull(usage, "client " + c + " got usage");
                int completion = usage.get("completion_tokens").asInt();
                assertTrue(completion >= 1 && completion <= maxTokens);
                if (finish.equals("length")) assertEquals(maxTokens, completion);
                totalTokens += completion;
                if (textBySeed[c % 4] == null) textBySeed[c % 4] = text.toString();
                assertEquals(textBySeed[c % 4], text.toString(), "client " + c + ": same seed, same text");
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            System.out.printf("load test: %d streaming clients, %d tokens in %.2f s = %.1f tokens/s aggregate;"
                            + " latency p50 %.0f ms, p99 %.0f ms%n", clients, totalTokens, seconds, totalTokens / seconds,
                    sorted[clients / 2] / 1e6, sorted[(int) Math.ceil(clients * 0.99) - 1] / 1e6);
        }
    }

    @Test
    void echoLogprobsEqualTheEvaluatorsLogLikelihoods() throws Exception {
        String text = Files.readString(Path.of(System.getProperty("armor.shared", "../shared"))
                .resolve("data/tinystories/tinystories.txt"));
        int[] stream = tokenizer.encode(text.substring(0, 2000), true);
        int[] window = Arrays.copyOf(stream, 96);
        Perplexity.Result eval = Perplexity.compute(model, window, window.length, 0, 1, null);

        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":" + Arrays.toString(window)
                + ",\"max_tokens\":1,\"echo\":true,\"logprobs\":1,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode lp = json(r.body()).get("choices").get(0).get("logprobs");
        JsonNode tl = lp.get("token_logprobs");
        assertEquals(window.length + 1, tl.size());
        assertTrue(tl.get(0).isNull());
        double nll = 0;
        for (int i = 1; i < window.length; i++) nll -= tl.get(i).asDouble();
        assertEquals(eval.meanNll(), nll / (window.length - 1), 1e-5, "mean NLL of the window");

        // Against transformers: the logprob of the first generated token after the fixture's prompt.
        int[] input = ids(fixture.get("input_ids"));
        JsonNode f = json(post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":" + Arrays.toString(input)
                + ",\"max_tokens\":1,\"echo\":true,\"logprobs\":1,\"temperature\":0}").body()).get("choices").get(0);
        JsonNode last = fixture.get("last_logits");
        JsonNode logits = last.isTextual() ? uncheckedJson(last.asText()) : last;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (JsonNode v : logits) max = Math.max(max, v.asDouble());
        for (JsonNode v : logits) sum += Math.exp(v.asDouble() - max);
        int next = ids(fixture.get("greedy_ids"))[0];
        double expected = logits.get(next).asDouble() - max - Math.log(sum);
        JsonNode ftl = f.get("logprobs").get("token_logprobs");
        assertEquals(expected, ftl.get(input.length).asDouble(), 1e-3);
        assertEquals(model.config().vocabSize(), logits.size());
    }
}
