package armor.server;

import armor.tokenizer.ChatMessage;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static armor.server.FakeStoryDecoder.STORY;
import static armor.server.FakeStoryDecoder.STORY_BYTES;
import static armor.server.TestServer.json;
import static armor.server.TestServer.sseEvents;
import static org.junit.jupiter.api.Assertions.*;

/** The API over a real loopback server and java.net.http, with the story test double as the model. */
class ServerHttpTest {
    static TestServer ts;

    @BeforeAll
    static void start() {
        ts = new TestServer();
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    static final String HELLO = "{\"role\":\"user\",\"content\":\"Tell me a story\"}";

    static int chatPromptTokens() {
        return FakeByteTokenizer.render(List.of(new ChatMessage("user", "Tell me a story")), true).length();
    }

    static String chat(String extra) {
        return "{\"model\":\"fake-story\",\"messages\":[" + HELLO + "]" + extra + "}";
    }

    @Test
    void greedyChatReturnsTheStoryWithUsage() throws Exception {
        HttpResponse<String> r = ts.post("/v1/chat/completions", chat(",\"temperature\":0"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode j = json(r.body());
        assertTrue(j.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", j.get("object").asText());
        assertEquals("fake-story", j.get("model").asText());
        assertTrue(Math.abs(j.get("created").asLong() - System.currentTimeMillis() / 1000) < 60);
        JsonNode c = j.get("choices").get(0);
        assertEquals("assistant", c.get("message").get("role").asText());
        assertEquals(STORY, c.get("message").get("content").asText());
        assertEquals("stop", c.get("finish_reason").asText());
        JsonNode u = j.get("usage");
        assertEquals(chatPromptTokens(), u.get("prompt_tokens").asInt());
        assertEquals(STORY_BYTES.length + 1, u.get("completion_tokens").asInt()); // the story and EOS
        assertEquals(u.get("prompt_tokens").asInt() + u.get("completion_tokens").asInt(), u.get("total_tokens").asInt());
    }

    @Test
    void accessLogNamesTheClientRequestStatusTokensAndUser() throws Exception {
        ts.post("/v1/chat/completions", chat(",\"temperature\":0,\"max_tokens\":3,\"user\":\"alice\""));
        ts.post("/v1/chat/completions", chat(",\"temperature\":\"hot\""));
        long deadline = System.currentTimeMillis() + 2000;
        java.util.function.Predicate<String> ok = l -> l.contains("\"POST /v1/chat/completions\" 200 ")
                && l.contains(" prompt=" + chatPromptTokens() + " completion=3 delivered=3 bytes=") && l.endsWith(" user=alice");
        while (ts.accessLog.stream().noneMatch(ok) && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertTrue(ts.accessLog.stream().anyMatch(ok), String.join("\n", ts.accessLog));
        assertTrue(ts.accessLog.stream().anyMatch(l -> l.startsWith("127.0.0.1:") && l.endsWith("\"POST /v1/chat/completions\" 400")),
                String.join("\n", ts.accessLog));
    }

    @Test
    void maxTokensEndsWithLength() throws Exception {
        for (String field : List.of("max_tokens", "max_completion_tokens")) {
            JsonNode j = json(ts.post("/v1/chat/completions", chat(",\"temperature\":0,\"" + field + "\":7")).body());
            assertEquals(STORY.substring(0, 7), j.get("choices").get(0).get("message").get("content").asText());
            assertEquals("length", j.get("choices").get(0).get("finish_reason").asText());
            assertEquals(7, j.get("usage").get("completion_tokens").asInt());
        }
    }

    @Test
    void streamedChunksConcatenateToTheNonStreamedTextForTheSameSeed() throws Exception {
        String sampling = ",\"temperature\":0.9,\"top_p\":0.95,\"top_k\":50,\"seed\":1234,\"max_tokens\":40";
        JsonNode whole = json(ts.post("/v1/chat/completions", chat(sampling)).body());
        String expected = whole.get("choices").get(0).get("message").get("content").asText();
        assertNotEquals(STORY.substring(0, Math.min(40, STORY.length())), expected,
                "sampling at temperature 0.9 should leave the greedy path somewhere in 40 tokens");

        HttpResponse<String> r = ts.post("/v1/chat/completions",
                chat(sampling + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<String> events = sseEvents(r.body());
        assertEquals("[DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String id = null;
        String finish = null;
        JsonNode usage = null;
        for (int i = 0; i < events.size() - 1; i++) {
            JsonNode ch = json(events.get(i));
            assertEquals("chat.completion.chunk", ch.get("object").asText());
            if (id == null) id = ch.get("id").asText();
            assertEquals(id, ch.get("id").asText(), "one id for all chunks");
            if (ch.get("choices").isEmpty()) {
                usage = ch.get("usage");
                assertEquals(events.size() - 2, i, "the usage chunk comes last");
                continue;
            }
            assertTrue(ch.get("usage").isNull(), "usage is null on content chunks when include_usage");
            JsonNode c = ch.get("choices").get(0);
            if (i == 0) assertEquals("assistant", c.get("delta").get("role").asText());
            if (c.get("delta").has("content")) text.append(c.get("delta").get("content").asText());
            if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
        }
        assertEquals(expected, text.toString());
        assertEquals(whole.get("choices").get(0).get("finish_reason").asText(), finish);
        assertNotNull(usage);
        assertEquals(whole.get("usage"), usage);
    }

    @Test
    void stopStringsCutTheTextAndAreNeverStreamed() throws Exception {
        JsonNode j = json(ts.post("/v1/chat/completions", chat(",\"temperature\":0,\"stop\":[\"robot\",\"xyz\"]")).body());
        String expected = STORY.substring(0, STORY.indexOf("robot"));
        assertEquals(expected, j.get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", j.get("choices").get(0).get("finish_reason").asText());

        // Streaming: every byte is its own token, so "sing" arrives in four pieces; none of it may leak.
        HttpResponse<String> r = ts.post("/v1/completions",
                "{\"model\":\"fake-story\",\"prompt\":\"Hi\",\"temperature\":0,\"max_tokens\":200,\"stop\":\"sing\",\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (String e : sseEvents(r.body())) {
            if (e.equals("[DONE]")) break;
            text.append(json(e).get("choices").get(0).get("text").asText());
        }
        assertEquals(STORY.substring(0, STORY.indexOf("sing")), text.toString());
    }

    @Test
    void nChoicesAreIndexedSeededAndIndependent() throws Exception {
        String body = chat(",\"temperature\":1.0,\"seed\":7,\"n\":3,\"max_tokens\":30");
        JsonNode a = json(ts.post("/v1/chat/completions", body).body());
        JsonNode b = json(ts.post("/v1/chat/completions", body).body());
        assertEquals(3, a.get("choices").size());
        List<String> texts = new ArrayList<>();
        int completion = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals(i, a.get("choices").get(i).get("index").asInt());
            texts.add(a.get("choices").get(i).get("message").get("content").asText());
            assertEquals(texts.get(i), b.get("choices").get(i).get("message").get("content").asText(), "same seed, same text");
            completion += 30;
        }
        assertEquals(3, texts.stream().distinct().count(), "the choices sample independently: " + texts);
        assertEquals(completion, a.get("usage").get("completion_tokens").asInt());
        assertEquals(chatPromptTokens(), a.get("usage").get("prompt_tokens").asInt(), "the prompt is counted once");
    }

    /** log_softmax in double, the independent reference for the server's logprobs. */
    static double logSoftmax(float[] z, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double s = 0;
        for (float v : z) s += Math.exp(v - max);
        return z[token] - max - Math.log(s);
    }

    @Test
    void chatLogprobsMatchTheModelsDistribution() throws Exception {
        JsonNode j = json(ts.post("/v1/chat/completions",
                chat(",\"temperature\":0,\"max_tokens\":6,\"logprobs\":true,\"top_logprobs\":3")).body());
        JsonNode content = j.get("choices").get(0).get("logprobs").get("content");
        assertEquals(6, content.size());
        int p = chatPromptTokens();
        int last = "[assistant] ".getBytes()[11] + 2;
        for (int g = 0; g < 6; g++) {
            JsonNode e = content.get(g);
            float[] z = FakeStoryDecoder.logits(p + g, p, last);
            int tok = FakeStoryDecoder.storyToken(g);
            assertEquals(String.valueOf((char) STORY_BYTES[g]), e.get("token").asText());
            assertEquals(STORY_BYTES[g] & 0xff, e.get("bytes").get(0).asInt());
            assertEquals(logSoftmax(z, tok), e.get("logprob").asDouble(), 1e-5);
            JsonNode top = e.get("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(e.get("token").asText(), top.get(0).get("token").asText(), "greedy picks the top token");
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
            assertTrue(top.get(1).get("logprob").asDouble() >= top.get(2).get("logprob").asDouble());
            last = tok;
        }
        assertTrue(json(ts.post("/v1/chat/completions", chat(",\"max_tokens\":2")).body())
                .get("choices").get(0).get("logprobs").isNull(), "no logprobs unless asked");
    }

    @Test
    void logprobsStopWithTheTextAtAStopStringAndStreamTheSame() throws Exception {
        String req = ",\"temperature\":0,\"logprobs\":true,\"top_logprobs\":1,\"stop\":\"robot\"";
        JsonNode c = json(ts.post("/v1/chat/completions", chat(req)).body()).get("choices").get(0);
        String text = c.get("message").get("content").asText();
        JsonNode content = c.get("logprobs").get("content");
        assertEquals(STORY.indexOf("robot"), content.size(), "one entry per byte token before the stop string");
        StringBuilder joined = new StringBuilder();
        for (JsonNode e : content) joined.append(e.get("token").asText());
        assertEquals(text, joined.toString());

        List<JsonNode> streamed = new ArrayList<>();
        for (String e : sseEvents(ts.post("/v1/chat/completions", chat(req + ",\"stream\":true")).body())) {
            if (e.equals("[DONE]")) break;
            JsonNode lp = json(e).get("choices").get(0).get("logprobs");
            for (JsonNode x : lp.get("content")) streamed.add(x);
        }
        assertEquals(content.size(), streamed.size());
        for (int i = 0; i < streamed.size(); i++) assertEquals(content.get(i), streamed.get(i));
    }

    @Test
    void completionsEchoWithLogprobsScoresThePrompt() throws Exception {
        String prompt = "Once upon";
        HttpResponse<String> r = ts.post("/v1/completions", "{\"model\":\"fake-story\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":0,\"echo\":true,\"logprobs\":2,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r.body());
        assertEquals("text_completion", j.get("object").asText());
        JsonNode c = j.get("choices").get(0);
        assertEquals(prompt, c.get("text").asText());
        assertEquals("length", c.get("finish_reason").asText());
        JsonNode lp = c.get("logprobs");
        int[] ids = new FakeByteTokenizer().encode(prompt, true);
        assertEquals(ids.length, lp.get("token_logprobs").size());
        assertTrue(lp.get("token_logprobs").get(0).isNull(), "the first token has no context");
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        for (int i = 1; i < ids.length; i++) {
            float[] z = FakeStoryDecoder.logits(i, ids.length, ids[i - 1]);
            assertEquals(logSoftmax(z, ids[i]), lp.get("token_logprobs").get(i).asDouble(), 1e-5, "token " + i);
            assertEquals(2, lp.get("top_logprobs").get(i).size());
        }
        assertEquals(0, j.get("usage").get("completion_tokens").asInt());
        assertEquals(ids.length, j.get("usage").get("prompt_tokens").asInt());

        // Token-id prompts (as lm-evaluation-harness sends them) are scored as given, without an added BOS.
        int[] raw = {2 + 'a', 2 + 'b', 2 + 'c'};
        JsonNode t = json(ts.post("/v1/completions", "{\"model\":\"fake-story\",\"prompt\":[" + raw[0] + "," + raw[1] + ","
                + raw[2] + "],\"max_tokens\":1,\"echo\":true,\"logprobs\":0,\"temperature\":0}").body());
        JsonNode tl = t.get("choices").get(0).get("logprobs").get("token_logprobs");
        assertEquals(4, tl.size(), "3 prompt tokens and 1 generated");
        assertEquals(logSoftmax(FakeStoryDecoder.logits(2, 3, raw[1]), raw[2]), tl.get(2).asDouble(), 1e-5);
        assertEquals("abcO", t.get("choices").get(0).get("text").asText());
    }

    @Test
    void batchOfPromptsGetsNChoicesEach() throws Exception {
        JsonNode j = json(ts.post("/v1/completions",
                "{\"model\":\"fake-story\",\"prompt\":[\"a\",\"bb\"],\"n\":2,\"max_tokens\":3,\"temperature\":0}").body());
        assertEquals(4, j.get("choices").size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, j.get("choices").get(i).get("index").asInt());
            assertEquals("Onc", j.get("choices").get(i).get("text").asText());
        }
        assertEquals(2 + 3, j.get("usage").get("prompt_tokens").asInt()); // BOS + "a", BOS + "bb"
        assertEquals(12, j.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode m = json(ts.get("/v1/models").body());
        assertEquals("list", m.get("object").asText());
        assertEquals("fake-story", m.get("data").get(0).get("id").asText());
        assertEquals("model", m.get("data").get(0).get("object").asText());
        assertEquals(200, ts.get("/v1/models/fake-story").statusCode());
        assertEquals(404, ts.get("/v1/models/other").statusCode());
        HttpResponse<String> h = ts.get("/health");
        assertEquals(200, h.statusCode());
        assertEquals("ok", json(h.body()).get("status").asText());

        ts.post("/v1/completions", "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":5,\"temperature\":0}");
        HttpResponse<String> r = ts.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String body = r.body();
        long ok = metric(body, "armor_requests_total{endpoint=\"/v1/completions\",status=\"200\"}");
        assertTrue(ok >= 1, body);
        assertTrue(metric(body, "armor_prompt_tokens_total") >= 4);
        assertTrue(metric(body, "armor_completion_tokens_total") >= 5);
        assertTrue(body.contains("armor_queue_depth 0"));
        assertTrue(body.contains("armor_time_to_first_token_seconds_count"));
        assertTrue(body.contains("armor_decode_tokens_per_second"));
        // Counters count: one more request moves them by exactly what it did.
        ts.post("/v1/completions", "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":5,\"temperature\":0}");
        String after = ts.get("/metrics").body();
        assertEquals(ok + 1, metric(after, "armor_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"));
    }

    static long metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) return (long) Double.parseDouble(line.substring(name.length() + 1));
        }
        throw new AssertionError("metric " + name + " not found in\n" + text);
    }

    @Test
    void concurrentRequestsShareDecodeSteps() throws Exception {
        ts.decoder.stepDelayMillis = 5;
        ts.decoder.maxBatchSeen.set(0);
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(pool.submit(() -> ts.post("/v1/chat/completions", chat(",\"temperature\":0"))));
            }
            for (Future<HttpResponse<String>> f : fs) {
                JsonNode j = json(f.get().body());
                assertEquals(STORY, j.get("choices").get(0).get("message").get("content").asText());
            }
        } finally {
            ts.decoder.stepDelayMillis = 0;
        }
        assertTrue(ts.decoder.maxBatchSeen.get() >= 2, "decode steps batched several sequences: " + ts.decoder.maxBatchSeen);
        assertEquals(0, ts.decoder.live.get(), "every KV cache freed");
    }

    /** Two requests written back to back on one keep-alive connection are answered in order, each complete. */
    @Test
    void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
        String a = "{\"model\":\"fake-story\",\"prompt\":\"a\",\"max_tokens\":4,\"temperature\":0}";
        String b = "{\"model\":\"fake-story\",\"prompt\":\"b\",\"max_tokens\":9,\"temperature\":0,\"stream\":true}";
        StringBuilder wire = new StringBuilder();
        for (String body : List.of(a, b)) {
            wire.append("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n")
                    .append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body);
        }
        wire.append("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", ts.server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(wire.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String all = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int first = all.indexOf("\"text\":\"Once\"");
            int second = all.indexOf("text/event-stream");
            int third = all.indexOf("{\"status\":\"ok\"}");
            assertTrue(first > 0 && second > first && third > second, all);
            assertEquals(3, all.split("HTTP/1.1 200 OK", -1).length - 1, all);
            assertTrue(all.contains("data: [DONE]"));
        }
    }

    @Test
    void disconnectDuringANonStreamedRequestAlsoCancelsIt() throws Exception {
        ts.decoder.stepDelayMillis = 20;
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", ts.server.port())) {
            String body = "{\"model\":\"fake-story\",\"prompt\":\"a\",\"max_tokens\":400,\"temperature\":1}";
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long deadline = System.currentTimeMillis() + 5000;
            while (ts.decoder.live.get() == 0 && System.currentTimeMillis() < deadline) Thread.sleep(5);
            assertEquals(1, ts.decoder.live.get(), "generating");
        }
        try {
            long deadline = System.currentTimeMillis() + 5000;
            while (ts.decoder.live.get() != 0 && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertEquals(0, ts.decoder.live.get(), "cancelled and freed after the client closed the connection");
        } finally {
            ts.decoder.stepDelayMillis = 0;
        }
    }

    @Test
    void aModelFailureFailsItsRequestWith500AndServingGoesOn() throws Exception {
        ts.decoder.failNextDecode = true;
        HttpResponse<String> r = ts.post("/v1/chat/completions", chat(",\"max_tokens\":5"));
        assertEquals(500, r.statusCode(), r.body());
        JsonNode err = json(r.body()).get("error");
        assertEquals("server_error", err.get("type").asText());
        assertTrue(err.get("message").asText().contains("simulated model failure"));
        assertEquals(0, ts.decoder.live.get(), "the failed sequence's cache is freed");
        JsonNode ok = json(ts.post("/v1/chat/completions", chat(",\"temperature\":0,\"max_tokens\":4")).body());
        assertEquals("Once", ok.get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void disconnectingClientCancelsItsGenerationAndFreesItsCache() throws Exception {
        ts.decoder.stepDelayMillis = 20;
        try {
            HttpResponse<InputStream> r = ts.postStream("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":400,\"temperature\":1,\"stream\":true}");
            assertEquals(200, r.statusCode());
            BufferedReader in = TestServer.reader(r.body());
            TestServer.firstEvent(in);
            assertEquals(1, ts.decoder.live.get());
            r.body().close();
            long deadline = System.currentTimeMillis() + 5000;
            while (ts.decoder.live.get() != 0 && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertEquals(0, ts.decoder.live.get(), "the KV cache was freed after the client left");
        } finally {
            ts.decoder.stepDelayMillis = 0;
        }
        assertTrue(metric(ts.get("/metrics").body(), "armor_cancelled_total") >= 1);
        assertEquals(200, ts.post("/v1/chat/completions", chat(",\"max_tokens\":3")).statusCode(), "still serving");
    }
}
