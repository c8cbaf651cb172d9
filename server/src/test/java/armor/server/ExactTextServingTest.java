package armor.server;

import armor.runtime.model.Model;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static armor.server.TestServer.json;
import static armor.server.TestServer.sseEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A non-streamed completion's text is exactly what transformers decodes from the generated ids, also where they
 * hold sentencepiece byte-fallback runs that are not valid UTF-8 (one U+FFFD per byte of the run, its valid bytes
 * included): tiny-qwen3-random-b's greedy continuation of "Once upon a time" in ../shared/fixtures.
 */
class ExactTextServingTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    @Test
    void nonStreamedTextIsTransformersDecodeOfTheGeneratedIds() throws Exception {
        JsonNode fixture = new ObjectMapper().readTree(
                SHARED.resolve("fixtures/tiny-qwen3-random-b-reference.json").toFile()).get("cases").get(0);
        assertEquals("Once upon a time", fixture.get("prompt").asText());
        String expected = fixture.get("greedy_text").asText(); // the first id is <0xC0>: no leading space dropped
        int n = fixture.get("greedy_ids").size();
        try (Model model = Model.load(SHARED.resolve("models/tiny-qwen3-random-b"));
             ModelServer server = ModelServer.start(model, model.requireTokenizer(), "q3", ServerConfig.loopback(0), 4, 8, 256)) {
            String body = "{\"model\":\"q3\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":" + n;
            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/completions");
            HttpResponse<String> whole = http.send(HttpRequest.newBuilder(uri).POST(
                    HttpRequest.BodyPublishers.ofString(body + "}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, whole.statusCode(), whole.body());
            assertEquals(expected, json(whole.body()).get("choices").get(0).get("text").asText());

            // The stream sends a bad run's valid bytes before the run turns out bad, so its pieces differ here:
            // this case does exercise such a run.
            HttpResponse<String> streamed = http.send(HttpRequest.newBuilder(uri).POST(
                    HttpRequest.BodyPublishers.ofString(body + ",\"stream\":true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            StringBuilder pieces = new StringBuilder();
            for (String data : sseEvents(streamed.body())) {
                if (data.equals("[DONE]")) continue;
                JsonNode e = json(data);
                if (e.get("choices").size() > 0) pieces.append(e.get("choices").get(0).get("text").asText());
            }
            assertTrue(pieces.length() > 0);
            assertNotEquals(expected, pieces.toString());
        }
    }
}
