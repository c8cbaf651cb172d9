package armor.server;

import armor.server.api.RequestLimits;
import armor.server.engine.RequestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import static armor.server.ServerHttpTest.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that do not read their stream: the server pauses their sequences instead of generating everything into
 * memory, serves everyone else meanwhile, resumes when the client reads again, cancels after the idle time, and
 * logs what was delivered. Raw loopback sockets with a small receive buffer play the client that does not read.
 */
@Timeout(60)
class BackpressureTest {
    private static final int N = 4;
    private static final int MAX_TOKENS = 4000;
    private static final int IDLE_SECONDS = 3;
    /** One request that is never read could be this many tokens (about 400 bytes each with 5 logprobs): 6 MB. */
    private static final String HOSTILE = "{\"model\":\"fake-story\",\"prompt\":\"abc\",\"max_tokens\":" + MAX_TOKENS
            + ",\"n\":" + N + ",\"logprobs\":5,\"temperature\":0,\"stream\":true}";

    private TestServer ts;

    @BeforeEach
    void start() {
        ts = new TestServer(8192, 4, 32, null, 64 * 1024, 512, IDLE_SECONDS, RequestMemory.UNLIMITED,
                new RequestLimits(N, MAX_TOKENS));
        ts.decoder.endless = true;
    }

    @AfterEach
    void stop() {
        ts.close();
    }

    @Test
    void aClientThatNeverReadsIsPausedWhileOthersAreServedThenCancelledAndLoggedAsDelivered() throws Exception {
        try (Socket hostile = rawClient()) {
            send(hostile, HOSTILE);
            // Its sequences run until the connection stops being writable, then take no step.
            long generated = settledCompletionTokens();
            assertTrue(generated < N * MAX_TOKENS / 4, "generated ahead of the client: " + generated);
            assertEquals(N, metricNow("armor_paused_sequences"), "the stream's sequences are paused");
            assertEquals(N, ts.decoder.live.get(), "paused sequences keep their KV caches");

            // Everyone else is served meanwhile: the paused sequences hold no batch slot.
            List<CompletableFuture<HttpResponse<String>>> others = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                others.add(ts.client.sendAsync(java.net.http.HttpRequest.newBuilder(ts.uri("/v1/completions"))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-story\","
                                + "\"prompt\":\"abc\",\"max_tokens\":50,\"temperature\":0,\"stream\":true}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (var f : others) {
                HttpResponse<String> r = f.get();
                assertEquals(200, r.statusCode());
                List<String> events = TestServer.sseEvents(r.body());
                assertEquals("[DONE]", events.get(events.size() - 1));
                assertTrue(events.get(events.size() - 2).contains("\"finish_reason\":\"length\""), r.body());
            }

            // Still paused, and not a single token more for it.
            long after = metricNow("armor_completion_tokens_total");
            assertEquals(generated + 6 * 50, after, "only the other clients' tokens were generated");
            Thread.sleep(300);
            assertEquals(after, metricNow("armor_completion_tokens_total"), "a paused sequence takes no step");
            assertEquals(N, metricNow("armor_paused_sequences"));

            // After the idle time with nothing taken: cancelled, caches freed, logged with what was delivered.
            waitFor(() -> ts.decoder.live.get() == 0, "the stalled stream is cancelled and its caches freed");
            String prefix = "127.0.0.1:" + hostile.getLocalPort() + " ";
            waitFor(() -> ts.accessLog.stream().anyMatch(l -> l.startsWith(prefix)), "the access log line");
            String line = ts.accessLog.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
            assertTrue(line.contains("\" 499 ") && line.contains(" stalled"), line);
            long completion = field(line, "completion"), delivered = field(line, "delivered");
            assertEquals(generated, completion, line);
            assertTrue(delivered < completion, "delivered (" + delivered + ") is what the socket took: " + line);
            assertEquals(0, metricNow("armor_paused_sequences"));
            assertEquals(0, metricNow("armor_unsent_bytes"));
        }
    }

    @Test
    void aPausedStreamResumesWhenItsClientReadsAgain() throws Exception {
        try (Socket slow = rawClient()) {
            send(slow, HOSTILE.replace("\"max_tokens\":" + MAX_TOKENS, "\"max_tokens\":1500"));
            waitFor(() -> metricNow("armor_paused_sequences") == N, "the stream's sequences pause");
            long paused = metricNow("armor_completion_tokens_total");
            Thread.sleep(IDLE_SECONDS * 1000 / 3);
            assertEquals(paused, metricNow("armor_completion_tokens_total"), "a paused sequence takes no step");

            String body = readAll(slow.getInputStream());
            assertTrue(body.contains("data: [DONE]"), body.substring(Math.max(0, body.length() - 300)));
            assertEquals(N, count(body, "\"finish_reason\":\"length\""));
            assertEquals(N * 1500L, metricNow("armor_completion_tokens_total"));
            String prefix = "127.0.0.1:" + slow.getLocalPort() + " ";
            waitFor(() -> ts.accessLog.stream().anyMatch(l -> l.startsWith(prefix)), "the access log line");
            String line = ts.accessLog.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
            assertTrue(line.contains("\" 200 "), line);
            assertEquals(N * 1500L, field(line, "completion"), line);
            assertEquals(N * 1500L, field(line, "delivered"), line);
            assertEquals(0, ts.decoder.live.get());
        }
    }

    /** A loopback client with a small receive buffer, so the server's writes back up soon. */
    private Socket rawClient() throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", ts.server.port()), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static void send(Socket s, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf); // the server closes the connection after the stream (Connection: close)
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    private static long field(String line, String name) {
        for (String part : line.split(" ")) if (part.startsWith(name + "=")) return Long.parseLong(part.substring(name.length() + 1));
        throw new AssertionError("no " + name + "= in " + line);
    }

    private long metricNow(String name) {
        try {
            return metric(ts.get("/metrics").body(), name);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Completion tokens once they stopped growing for half a second (or all of them were generated). */
    private long settledCompletionTokens() throws InterruptedException {
        long last = -1, now = metricNow("armor_completion_tokens_total");
        long deadline = System.currentTimeMillis() + 20_000;
        while (now != last && now < (long) N * MAX_TOKENS && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            last = now;
            now = metricNow("armor_completion_tokens_total");
        }
        return now;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(20);
        }
    }
}
