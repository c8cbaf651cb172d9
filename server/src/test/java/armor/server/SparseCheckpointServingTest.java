package armor.server;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.sparse.Conversions;
import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static armor.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A pruned (2:4) checkpoint served end to end: the server's greedy text equals what the runtime's own generator
 * produces for the same model, so the 2:4 layers run through the batched scheduler unchanged.
 */
class SparseCheckpointServingTest {
    @Test
    void servesA24CheckpointLikeTheRuntimeGenerates(@TempDir Path tmp) throws Exception {
        Path stories = Path.of(System.getProperty("armor.shared", "../shared")).resolve("models/stories260K-hf");
        Path sparse = tmp.resolve("stories-2of4");
        assertTrue(Conversions.magnitude24(stories, sparse, (done, total, name) -> {}) > 0);
        try (Model model = Model.load(sparse)) {
            assertEquals("2:4", model.decoder().layer(0).linear(DecoderLayer.DOWN).kind());
            Tokenizer tok = model.requireTokenizer();
            String prompt = "Once upon a time";
            GenerationResult ref = new Generator(model, tok).generate(tok.encode(prompt, true),
                    SamplingParams.GREEDY, StopConditions.maxTokens(40), (id, text) -> {});
            try (ModelServer server = ModelServer.start(model, tok, "s24", ServerConfig.loopback(0), 4, 8, 256)) {
                HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"s24\",\"prompt\":\"" + prompt
                                + "\",\"max_tokens\":40,\"temperature\":0}")).build();
                HttpResponse<String> resp = HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
                assertEquals(200, resp.statusCode(), resp.body());
                JsonNode c = json(resp.body()).get("choices").get(0);
                assertEquals(tok.decode(ref.tokens(), true), c.get("text").asText());
                assertEquals(ref.tokens().length, json(resp.body()).get("usage").get("completion_tokens").asInt()
                        - (c.get("finish_reason").asText().equals("stop") ? 1 : 0));
            }
        }
    }
}
