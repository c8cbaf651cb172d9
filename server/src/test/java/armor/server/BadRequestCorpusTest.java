package armor.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static armor.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Malformed and refused requests: each must get the right status and OpenAI's error JSON naming the culprit, and a
 * good request right after each must still be served correctly.
 */
class BadRequestCorpusTest {
    static TestServer ts;

    @BeforeAll
    static void start() {
        ts = new TestServer(64, 4, 4, null, 2048);
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    record Case(String name, String method, String path, byte[] body, int status, String param) {}

    static final String CHAT = "/v1/chat/completions", COMP = "/v1/completions";
    static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Case chat(String name, String fields, int status, String param) {
        return new Case(name, "POST", CHAT, ("{\"model\":\"fake-story\"," + MSG + fields + "}").getBytes(StandardCharsets.UTF_8),
                status, param);
    }

    static Case raw(String name, String path, String body, int status, String param) {
        return new Case(name, "POST", path, body.getBytes(StandardCharsets.UTF_8), status, param);
    }

    static List<Case> corpus() {
        List<Case> c = new ArrayList<>();
        c.add(raw("empty body", CHAT, "", 400, null));
        c.add(raw("truncated JSON", CHAT, "{\"model\":\"fake-story\",\"messages\":[", 400, null));
        c.add(raw("JSON array instead of object", CHAT, "[1,2,3]", 400, null));
        c.add(raw("JSON string", CHAT, "\"hello\"", 400, null));
        c.add(raw("trailing garbage", CHAT, "{\"model\":\"fake-story\"," + MSG + "} xyz", 400, null));
        c.add(raw("duplicate key", CHAT, "{\"model\":\"fake-story\",\"model\":\"x\"," + MSG + "}", 400, null));
        c.add(new Case("invalid UTF-8", "POST", CHAT, concat("{\"model\":\"fake-story\",\"messages\":[{\"role\":\"user\",\"content\":\"",
                new byte[] {(byte) 0xC3, (byte) 0x28}, "\"}]}"), 400, null));
        c.add(raw("missing model", CHAT, "{" + MSG + "}", 400, "model"));
        c.add(raw("model not a string", CHAT, "{\"model\":5," + MSG + "}", 400, "model"));
        c.add(raw("unknown model", CHAT, "{\"model\":\"gpt-9\"," + MSG + "}", 404, "model"));
        c.add(raw("missing messages", CHAT, "{\"model\":\"fake-story\"}", 400, "messages"));
        c.add(raw("empty messages", CHAT, "{\"model\":\"fake-story\",\"messages\":[]}", 400, "messages"));
        c.add(raw("messages not an array", CHAT, "{\"model\":\"fake-story\",\"messages\":\"hi\"}", 400, "messages"));
        c.add(raw("message not an object", CHAT, "{\"model\":\"fake-story\",\"messages\":[\"hi\"]}", 400, "messages[0]"));
        c.add(raw("unknown role", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", 400, "messages[0].role"));
        c.add(raw("tool role", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"tool\",\"content\":\"hi\"}]}", 400, "messages[0].role"));
        c.add(raw("missing content", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"user\"}]}", 400, "messages[0].content"));
        c.add(raw("content a number", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400, "messages[0].content"));
        c.add(raw("image content part", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", 400, "messages[0].content[0].type"));
        c.add(raw("tool_calls in message", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":[]}]}", 400, "messages[0].tool_calls"));
        c.add(chat("tools", ",\"tools\":[{\"type\":\"function\"}]", 400, "tools"));
        c.add(chat("response_format", ",\"response_format\":{\"type\":\"json_object\"}", 400, "response_format"));
        c.add(chat("logit_bias", ",\"logit_bias\":{\"50\":1}", 400, "logit_bias"));
        c.add(chat("echo on chat", ",\"echo\":true", 400, "echo"));
        c.add(chat("temperature as string", ",\"temperature\":\"0.5\"", 400, "temperature"));
        c.add(chat("temperature too high", ",\"temperature\":3", 400, "temperature"));
        c.add(chat("top_p zero", ",\"top_p\":0", 400, "top_p"));
        c.add(chat("top_p above one", ",\"top_p\":1.5", 400, "top_p"));
        c.add(chat("top_k fractional", ",\"top_k\":2.5", 400, "top_k"));
        c.add(chat("min_p negative", ",\"min_p\":-0.1", 400, "min_p"));
        c.add(chat("max_tokens negative", ",\"max_tokens\":-1", 400, "max_tokens"));
        c.add(chat("max_tokens zero on chat", ",\"max_tokens\":0", 400, "max_tokens"));
        c.add(chat("max_tokens over the server limit", ",\"max_tokens\":5000", 400, "max_tokens"));
        c.add(chat("max_tokens as string", ",\"max_tokens\":\"10\"", 400, "max_tokens"));
        c.add(chat("max_tokens disagree", ",\"max_tokens\":5,\"max_completion_tokens\":6", 400, "max_completion_tokens"));
        c.add(chat("prompt plus max_tokens beyond context", ",\"max_tokens\":60", 400, "max_tokens"));
        c.add(chat("n zero", ",\"n\":0", 400, "n"));
        c.add(chat("n too large", ",\"n\":100", 400, "n"));
        c.add(chat("seed as float", ",\"seed\":1.5", 400, "seed"));
        c.add(chat("stop as number", ",\"stop\":5", 400, "stop"));
        c.add(chat("stop list too long", ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]", 400, "stop"));
        c.add(chat("stop with empty string", ",\"stop\":[\"\"]", 400, "stop"));
        c.add(chat("stream as string", ",\"stream\":\"yes\"", 400, "stream"));
        c.add(chat("stream_options without stream", ",\"stream_options\":{\"include_usage\":true}", 400, "stream_options"));
        c.add(chat("stream_options unknown key", ",\"stream\":true,\"stream_options\":{\"foo\":1}", 400, "stream_options.foo"));
        c.add(chat("include_usage not boolean", ",\"stream\":true,\"stream_options\":{\"include_usage\":1}", 400, "stream_options.include_usage"));
        c.add(chat("logprobs as integer on chat", ",\"logprobs\":2", 400, "logprobs"));
        c.add(chat("top_logprobs without logprobs", ",\"top_logprobs\":2", 400, "top_logprobs"));
        c.add(chat("top_logprobs too many", ",\"logprobs\":true,\"top_logprobs\":30", 400, "top_logprobs"));
        c.add(chat("presence_penalty out of range", ",\"presence_penalty\":2.5", 400, "presence_penalty"));
        c.add(chat("frequency_penalty as bool", ",\"frequency_penalty\":true", 400, "frequency_penalty"));
        c.add(chat("repetition_penalty zero", ",\"repetition_penalty\":0", 400, "repetition_penalty"));
        c.add(chat("repetition_penalty negative", ",\"repetition_penalty\":-1", 400, "repetition_penalty"));
        c.add(chat("user as number", ",\"user\":12", 400, "user"));
        c.add(raw("prompt too long for the context", CHAT, "{\"model\":\"fake-story\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "a".repeat(100) + "\"}]}", 400, "messages"));
        c.add(raw("completions: prompt too long for the context", COMP, "{\"model\":\"fake-story\",\"prompt\":\""
                + "a".repeat(100) + "\"}", 400, "prompt"));
        c.add(raw("completions: missing prompt", COMP, "{\"model\":\"fake-story\"}", 400, "prompt"));
        c.add(raw("completions: prompt a number", COMP, "{\"model\":\"fake-story\",\"prompt\":5}", 400, "prompt"));
        c.add(raw("completions: empty prompt array", COMP, "{\"model\":\"fake-story\",\"prompt\":[]}", 400, "prompt"));
        c.add(raw("completions: negative token id", COMP, "{\"model\":\"fake-story\",\"prompt\":[1,-2]}", 400, "prompt"));
        c.add(raw("completions: token id beyond vocabulary", COMP, "{\"model\":\"fake-story\",\"prompt\":[1,99999]}", 400, "prompt"));
        c.add(raw("completions: logprobs too many", COMP, "{\"model\":\"fake-story\",\"prompt\":\"a\",\"logprobs\":9}", 400, "logprobs"));
        c.add(raw("completions: echo as string", COMP, "{\"model\":\"fake-story\",\"prompt\":\"a\",\"echo\":\"true\"}", 400, "echo"));
        c.add(raw("completions: max_tokens 0 without echo", COMP, "{\"model\":\"fake-story\",\"prompt\":\"a\",\"max_tokens\":0}", 400, "max_tokens"));
        c.add(raw("completions: suffix", COMP, "{\"model\":\"fake-story\",\"prompt\":\"a\",\"suffix\":\"b\"}", 400, "suffix"));
        c.add(raw("completions: messages field", COMP, "{\"model\":\"fake-story\",\"prompt\":\"a\",\"messages\":[]}", 400, "messages"));
        c.add(raw("body over the size limit", CHAT, "{\"model\":\"fake-story\"," + MSG + ",\"user\":\"" + "x".repeat(4000) + "\"}", 413, null));
        c.add(raw("deeply nested JSON", CHAT, "{\"model\":\"fake-story\"," + MSG + ",\"user\":" + "[".repeat(500) + "]".repeat(500) + "}", 400, null));
        c.add(new Case("unknown path", "POST", "/v1/embeddings", "{}".getBytes(), 404, null));
        c.add(new Case("GET on chat", "GET", CHAT, null, 405, null));
        c.add(new Case("POST on models", "POST", "/v1/models", "{}".getBytes(), 405, null));
        return c;
    }

    static byte[] concat(String a, byte[] b, String c) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8), z = c.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[x.length + b.length + z.length];
        System.arraycopy(x, 0, out, 0, x.length);
        System.arraycopy(b, 0, out, x.length, b.length);
        System.arraycopy(z, 0, out, x.length + b.length, z.length);
        return out;
    }

    @Test
    void everyBadRequestGetsItsErrorAndTheServerKeepsServing() throws Exception {
        List<Case> corpus = corpus();
        assertTrue(corpus.size() >= 30, "corpus size " + corpus.size());
        List<String> failures = new ArrayList<>();
        for (Case c : corpus) {
            HttpRequest.Builder b = HttpRequest.newBuilder(ts.uri(c.path())).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json");
            if (c.method().equals("GET")) b.GET();
            else b.method(c.method(), HttpRequest.BodyPublishers.ofByteArray(c.body()));
            HttpResponse<String> r = ts.client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String what = c.name() + ": " + r.statusCode() + " " + r.body();
            if (r.statusCode() != c.status()) failures.add("status " + what);
            try {
                JsonNode err = json(r.body()).get("error");
                if (err == null || !err.get("message").isTextual() || err.get("message").asText().isBlank()
                        || !err.has("type") || !err.has("param") || !err.has("code")) {
                    failures.add("error JSON shape " + what);
                } else if (c.param() != null && !c.param().equals(err.get("param").asText())) {
                    failures.add("param (expected " + c.param() + ") " + what);
                }
            } catch (Exception e) {
                failures.add("not JSON " + what);
            }
            // A good request right after must be answered correctly.
            HttpResponse<String> ok = ts.post(CHAT, "{\"model\":\"fake-story\"," + MSG + ",\"temperature\":0,\"max_tokens\":4}");
            if (ok.statusCode() != 200 || !json(ok.body()).get("choices").get(0).get("message").get("content").asText().equals("Once")) {
                failures.add("good request after '" + c.name() + "' failed: " + ok.statusCode() + " " + ok.body());
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(0, ts.decoder.live.get());
    }
}
