package armor.server;

import armor.server.api.RequestLimits;
import armor.server.engine.CompletionEngine;
import armor.server.engine.RequestMemory;
import armor.server.metrics.ServerMetrics;
import armor.runtime.generate.BatchScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A real server on an ephemeral loopback port over the test doubles, and a real HTTP client to talk to it. */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "fake-story";

    final FakeStoryDecoder decoder;
    final ServerMetrics metrics = new ServerMetrics();
    final BatchScheduler<FakeStoryDecoder.Seq> scheduler;
    final OpenAiServer server;
    final List<String> accessLog = java.util.Collections.synchronizedList(new ArrayList<>());
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(int context, int maxBatch, int maxQueue, String apiKey, int maxBodyBytes) {
        this(context, maxBatch, maxQueue, apiKey, maxBodyBytes, BatchScheduler.DEFAULT_PREFILL_CHUNK);
    }

    TestServer(int context, int maxBatch, int maxQueue, String apiKey, int maxBodyBytes, int prefillChunk) {
        this(context, maxBatch, maxQueue, apiKey, maxBodyBytes, prefillChunk, ServerConfig.DEFAULT_IDLE_SECONDS);
    }

    TestServer(int context, int maxBatch, int maxQueue, String apiKey, int maxBodyBytes, int prefillChunk,
               int idleSeconds) {
        this(context, maxBatch, maxQueue, apiKey, maxBodyBytes, prefillChunk, idleSeconds, RequestMemory.UNLIMITED);
    }

    TestServer(int context, int maxBatch, int maxQueue, String apiKey, int maxBodyBytes, int prefillChunk,
               int idleSeconds, RequestMemory memory) {
        this(context, maxBatch, maxQueue, apiKey, maxBodyBytes, prefillChunk, idleSeconds, memory,
                new RequestLimits(8, 1000));
    }

    TestServer(int context, int maxBatch, int maxQueue, String apiKey, int maxBodyBytes, int prefillChunk,
               int idleSeconds, RequestMemory memory, RequestLimits limits) {
        decoder = new FakeStoryDecoder(context);
        scheduler = new BatchScheduler<>(decoder, maxBatch, maxQueue, prefillChunk, metrics);
        CompletionEngine engine = new CompletionEngine(MODEL, new FakeByteTokenizer(), scheduler,
                Set.of(FakeByteTokenizer.EOS), 256, memory);
        ServerConfig config = ServerConfig.loopback(0).withApiKey(apiKey).withMaxBodyBytes(maxBodyBytes)
                .withLimits(limits).withIdleSeconds(idleSeconds);
        server = OpenAiServer.start(config, engine, metrics, accessLog::add);
    }

    TestServer() {
        this(512, 8, 16, null, 64 * 1024);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        return postBytes(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> postBytes(String path, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<InputStream> postStream(String path, String body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.send(r, HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The {@code data:} payloads of a server-sent event stream, in order (the last should be "[DONE]"). */
    static List<String> sseEvents(String body) throws IOException {
        return sseEvents(new BufferedReader(new java.io.StringReader(body)));
    }

    static List<String> sseEvents(BufferedReader r) throws IOException {
        List<String> out = new ArrayList<>();
        String line;
        boolean blankExpected = false;
        while ((line = r.readLine()) != null) {
            if (blankExpected) {
                if (!line.isEmpty()) throw new AssertionError("SSE event not followed by a blank line: " + line);
                blankExpected = false;
                continue;
            }
            if (!line.startsWith("data: ")) throw new AssertionError("not an SSE data line: '" + line + "'");
            out.add(line.substring(6));
            blankExpected = true;
        }
        return out;
    }

    /** Reads one SSE event (its data line and the blank line after it) and returns its data. */
    static String firstEvent(BufferedReader r) throws IOException {
        String line = r.readLine();
        if (line == null || !line.startsWith("data: ")) throw new AssertionError("expected an SSE data line: " + line);
        String blank = r.readLine();
        if (blank == null || !blank.isEmpty()) throw new AssertionError("expected a blank line after the event: " + blank);
        return line.substring(6);
    }

    static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    static JsonNode json(String s) throws IOException {
        return JSON.readTree(s);
    }

    @Override
    public void close() {
        server.shutdown(Duration.ofSeconds(2));
    }
}
