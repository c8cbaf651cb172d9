package armor.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static armor.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.*;

/** API key, the bounded queue, and graceful shutdown, each on its own server. */
class ServerLifecycleTest {
    static final String BODY = "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":10,\"temperature\":0}";

    @Test
    void apiKeyIsRequiredOnTheApiButNotOnHealth() throws Exception {
        try (TestServer ts = new TestServer(128, 2, 2, "s3cret", 4096)) {
            HttpResponse<String> none = ts.post("/v1/completions", BODY);
            assertEquals(401, none.statusCode());
            assertEquals("invalid_api_key", json(none.body()).get("error").get("code").asText());
            assertEquals(401, ts.post("/v1/completions", BODY, "Authorization", "Bearer wrong").statusCode());
            assertEquals(401, ts.get("/v1/models", "Authorization", "Bearer s3cre").statusCode());
            assertEquals(401, ts.get("/metrics").statusCode());
            assertEquals(200, ts.get("/health").statusCode());
            HttpResponse<String> ok = ts.post("/v1/completions", BODY, "Authorization", "Bearer s3cret");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals("Once upon ", json(ok.body()).get("choices").get(0).get("text").asText());
        }
    }

    @Test
    void fullQueueAnswers429WithRetryAfter() throws Exception {
        try (TestServer ts = new TestServer(512, 1, 1, null, 4096)) {
            ts.decoder.stepDelayMillis = 20;
            String slow = "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":60,\"temperature\":0,\"stream\":true}";
            HttpResponse<InputStream> running = ts.postStream("/v1/completions", slow);
            BufferedReader r1 = TestServer.reader(running.body());
            TestServer.firstEvent(r1); // the first request is decoding
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
                try {
                    return ts.post("/v1/completions", BODY);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long deadline = System.currentTimeMillis() + 5000;
            while (ts.scheduler.queueDepth() < 1 && System.currentTimeMillis() < deadline) Thread.sleep(5);
            assertEquals(1, ts.scheduler.queueDepth(), "second request waits in the queue");
            HttpResponse<String> refused = ts.post("/v1/completions", BODY);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("retry-after").orElse(null));
            assertEquals("queue_full", json(refused.body()).get("error").get("code").asText());
            // Neither waiting client is lost: both complete correctly.
            List<String> events = TestServer.sseEvents(r1);
            assertEquals("[DONE]", events.getLast());
            HttpResponse<String> q = queued.get();
            assertEquals(200, q.statusCode(), q.body());
            assertEquals("Once upon ", json(q.body()).get("choices").get(0).get("text").asText());
        }
    }

    @Test
    void aLongPromptIsPrefilledInChunksWhileRunningStreamsKeepDecoding() throws Exception {
        try (TestServer ts = new TestServer(512, 4, 4, null, 4096, 8)) {
            ts.decoder.stepDelayMillis = 10;
            HttpResponse<InputStream> a = ts.postStream("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":60,\"temperature\":0,\"stream\":true}");
            BufferedReader ar = TestServer.reader(a.body());
            TestServer.firstEvent(ar); // A is decoding
            // B: BOS + 43 bytes = 44 prompt tokens, fed as 8+8+8+8+8+4 while A goes on.
            HttpResponse<String> b = ts.post("/v1/completions", "{\"model\":\"fake-story\",\"prompt\":\"" + "x".repeat(43)
                    + "\",\"max_tokens\":10,\"temperature\":0}");
            assertEquals(200, b.statusCode(), b.body());
            assertEquals(FakeStoryDecoder.STORY.substring(0, 10), json(b.body()).get("choices").get(0).get("text").asText());
            assertEquals(44, json(b.body()).get("usage").get("prompt_tokens").asInt());
            assertEquals(8, ts.decoder.maxPromptChunk.get(), "no step fed more than the chunk");
            assertTrue(ts.decoder.interleavedSteps.get() >= 5, "A decoded during B's prefill: " + ts.decoder.interleavedSteps);
            StringBuilder text = new StringBuilder();
            for (String e : TestServer.sseEvents(ar)) {
                if (!e.equals("[DONE]")) text.append(json(e).get("choices").get(0).get("text").asText());
            }
            assertEquals(FakeStoryDecoder.STORY.substring(1, 60), text.toString(), "A's stream after its first event");
        }
    }

    @Test
    void idleConnectionsAreClosedButSlowGenerationsAreNot() throws Exception {
        TestServer ts = new TestServer(512, 2, 2, null, 4096, 512, 1);
        try (ts; java.net.Socket idle = new java.net.Socket("127.0.0.1", ts.server.port())) {
            idle.setSoTimeout(5000);
            long t0 = System.nanoTime();
            assertEquals(-1, idle.getInputStream().read(), "the server closed the silent connection");
            assertTrue((System.nanoTime() - t0) / 1e9 < 4);
            // A non-streamed generation quieter than the idle time on the wire still completes.
            ts.decoder.stepDelayMillis = 60;
            HttpResponse<String> r = ts.post("/v1/completions", BODY.replace("\"max_tokens\":10", "\"max_tokens\":25"));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(FakeStoryDecoder.STORY.substring(0, 25), json(r.body()).get("choices").get(0).get("text").asText());
        }
    }

    @Test
    void gracefulShutdownFinishesRunningRequestsThenRefusesNewOnes() throws Exception {
        TestServer ts = new TestServer(512, 2, 2, null, 4096);
        ts.decoder.stepDelayMillis = 10;
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return ts.post("/v1/completions",
                        "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":30,\"temperature\":0}");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.currentTimeMillis() + 5000;
        while (ts.scheduler.activeCount() == 0 && System.currentTimeMillis() < deadline) Thread.sleep(2);
        ts.server.shutdown(Duration.ofSeconds(10));
        HttpResponse<String> r = inFlight.get();
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = json(r.body()).get("choices").get(0);
        assertEquals(FakeStoryDecoder.STORY.substring(0, 30), c.get("text").asText());
        assertEquals(0, ts.decoder.live.get());
        assertThrows(java.io.IOException.class, () -> ts.get("/health"), "no longer listening");
    }

    @Test
    void shutdownPastTheGracePeriodCancelsAndTellsTheClient() throws Exception {
        TestServer ts = new TestServer(512, 2, 2, null, 4096);
        ts.decoder.stepDelayMillis = 50;
        HttpResponse<InputStream> s = ts.postStream("/v1/completions",
                "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":400,\"temperature\":0,\"stream\":true}");
        BufferedReader in = TestServer.reader(s.body());
        TestServer.firstEvent(in);
        ts.server.shutdown(Duration.ofMillis(200));
        assertEquals(0, ts.decoder.live.get(), "the cancelled sequence's cache is freed");
        StringBuilder rest = new StringBuilder();
        try {
            String line;
            while ((line = in.readLine()) != null) rest.append(line).append('\n');
        } catch (java.io.IOException e) {
            // the connection may close before the client reads everything
        }
        if (!rest.isEmpty()) assertTrue(rest.toString().contains("shutting_down"), rest.toString());
    }

    @Test
    void shutdownPastTheGracePeriodAnswersRunningAndQueuedRequestsWith503() throws Exception {
        TestServer ts = new TestServer(512, 1, 2, null, 4096);
        ts.decoder.stepDelayMillis = 50;
        String slow = "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":400,\"temperature\":0}";
        List<CompletableFuture<HttpResponse<String>>> pending = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            pending.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ts.post("/v1/completions", slow);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        long deadline = System.currentTimeMillis() + 5000;
        while ((ts.scheduler.activeCount() < 1 || ts.scheduler.queueDepth() < 1) && System.currentTimeMillis() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(1, ts.scheduler.queueDepth(), "one request runs, one waits");
        ts.server.shutdown(Duration.ofMillis(100));
        for (CompletableFuture<HttpResponse<String>> f : pending) {
            HttpResponse<String> r = f.get();
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("shutting_down", json(r.body()).get("error").get("code").asText());
        }
        assertEquals(0, ts.decoder.live.get());
    }
}
