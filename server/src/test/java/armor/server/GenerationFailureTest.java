package armor.server;

import armor.runtime.generate.BatchScheduler;
import armor.server.engine.RequestMemory;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static armor.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Errors in the generation loop: an OutOfMemoryError in a step fails that step's requests and serving goes on; an
 * error the process cannot be trusted after ends the loop, tells every waiting client, and turns /health to 503;
 * requests too large for the heap are refused before any work.
 */
class GenerationFailureTest {
    static final String BODY = "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":10,\"temperature\":0}";

    @Test
    void anOutOfMemoryErrorFailsItsRequestWith500AndServingGoesOn() throws Exception {
        try (TestServer ts = new TestServer()) {
            ts.decoder.throwNextDecode = new OutOfMemoryError("Java heap space");
            HttpResponse<String> r = ts.post("/v1/completions", BODY);
            assertEquals(500, r.statusCode(), r.body());
            JsonNode err = json(r.body()).get("error");
            assertEquals("server_error", err.get("type").asText());
            assertTrue(err.get("message").asText().contains("ran out of memory"), err.toString());
            assertEquals(0, ts.decoder.live.get(), "the failed sequence's cache is freed");
            HttpResponse<String> ok = ts.post("/v1/completions", BODY);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals("Once upon ", json(ok.body()).get("choices").get(0).get("text").asText());
            HttpResponse<String> health = ts.get("/health");
            assertEquals(200, health.statusCode());
            assertEquals("ok", json(health.body()).get("status").asText());
        }
    }

    @Test
    void aStreamWhoseStepRunsOutOfMemoryEndsWithAnErrorEvent() throws Exception {
        try (TestServer ts = new TestServer()) {
            ts.decoder.stepDelayMillis = 20;
            HttpResponse<InputStream> s = ts.postStream("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":60,\"temperature\":0,\"stream\":true}");
            BufferedReader in = TestServer.reader(s.body());
            TestServer.firstEvent(in);
            ts.decoder.throwNextDecode = new OutOfMemoryError("Java heap space");
            List<String> events = TestServer.sseEvents(in);
            assertEquals("[DONE]", events.getLast());
            JsonNode err = json(events.get(events.size() - 2)).get("error");
            assertNotNull(err, events.toString());
            assertTrue(err.get("message").asText().contains("ran out of memory"), err.toString());
            ts.decoder.stepDelayMillis = 0;
            assertEquals(200, ts.post("/v1/completions", BODY).statusCode(), "still serving");
        }
    }

    @Test
    void anErrorTheLoopCannotGoOnAfterTellsEveryClientAndTurnsHealthTo503() throws Exception {
        try (TestServer ts = new TestServer(512, 1, 4, null, 64 * 1024)) {
            ts.decoder.stepDelayMillis = 20;
            HttpResponse<InputStream> running = ts.postStream("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":60,\"temperature\":0,\"stream\":true}");
            BufferedReader in = TestServer.reader(running.body());
            TestServer.firstEvent(in);
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
                try {
                    return ts.post("/v1/completions", BODY);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long deadline = System.currentTimeMillis() + 5000;
            while (ts.scheduler.queueDepth() < 1 && System.currentTimeMillis() < deadline) Thread.sleep(5);
            assertEquals(1, ts.scheduler.queueDepth(), "the second request waits behind the first");
            ts.decoder.throwNextDecode = new InternalError("simulated VM failure");

            List<String> events = TestServer.sseEvents(in);
            assertEquals("[DONE]", events.getLast());
            JsonNode err = json(events.get(events.size() - 2)).get("error");
            assertTrue(err.get("message").asText().contains("simulated VM failure"), err.toString());

            HttpResponse<String> q = queued.get();
            assertEquals(503, q.statusCode(), q.body());
            assertEquals("server_failed", json(q.body()).get("error").get("code").asText());

            HttpResponse<String> health = ts.get("/health");
            assertEquals(503, health.statusCode(), health.body());
            assertEquals("failed", json(health.body()).get("status").asText());
            assertTrue(json(health.body()).get("error").asText().contains("simulated VM failure"));
            assertFalse(ts.scheduler.healthy());
            HttpResponse<String> later = ts.post("/v1/completions", BODY);
            assertEquals(503, later.statusCode(), later.body());
            assertEquals(0, ts.decoder.live.get(), "every cache freed");
        }
    }

    @Test
    void aRequestLargerThanTheMemoryLimitIsRefusedBeforeAnyWork() throws Exception {
        // 1000 bytes a position, 100 kB a request: 3 + 10 tokens fit (26 positions doubled), 3 + 100 do not.
        try (TestServer ts = new TestServer(512, 8, 16, null, 64 * 1024, BatchScheduler.DEFAULT_PREFILL_CHUNK,
                ServerConfig.DEFAULT_IDLE_SECONDS, new RequestMemory(1000, 100_000))) {
            assertEquals(200, ts.post("/v1/completions", BODY).statusCode());
            int before = ts.decoder.decodeCalls.get();
            HttpResponse<String> r = ts.post("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":100,\"temperature\":0}");
            assertEquals(400, r.statusCode(), r.body());
            JsonNode err = json(r.body()).get("error");
            assertEquals("request_too_large", err.get("code").asText());
            assertEquals("max_tokens", err.get("param").asText());
            assertEquals(before, ts.decoder.decodeCalls.get(), "no step ran for the refused request");
            HttpResponse<String> n = ts.post("/v1/completions",
                    "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":10,\"n\":8,\"temperature\":0}");
            assertEquals(400, n.statusCode(), n.body());
            assertEquals("n", json(n.body()).get("error").get("param").asText());
        }
    }
}
