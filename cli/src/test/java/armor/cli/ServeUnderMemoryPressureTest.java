package armor.cli;

import armor.runtime.model.Model;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The operator's probe of issue 19: {@code armor serve} of stories15M in a 100 MB heap, one 244-token prompt scored
 * with {@code echo}, {@code logprobs: 5}, {@code max_tokens: 0}. Scoring every position at once needs a 244 × 32000
 * logits array (31 MB) that this heap cannot hold; the server must answer it (in chunks) with the same
 * log-probabilities as a whole-prompt forward pass in a large heap, and stay healthy.
 */
class ServeUnderMemoryPressureTest {
    static final Path MODEL = RuntimeCommandsTest.SHARED.resolve("models/stories15M-hf");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aScoredPromptIsAnsweredInA100MbHeapWithTheLogprobsOfOneWholePass() throws Exception {
        int[] ids = new int[244];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) ids[i] = 100 + (i * 37) % 31000;

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx100m",
                "-XX:+UseParallelGC", "-Darmor.threads=2", "-cp", System.getProperty("java.class.path"),
                "armor.cli.Main", "serve", "--model", MODEL.toString(), "--port", "0", "--quiet"));
        Path log = tmp.resolve("serve.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = awaitPort(p, log);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            StringBuilder prompt = new StringBuilder();
            for (int id : ids) prompt.append(prompt.isEmpty() ? "" : ",").append(id);
            String body = "{\"model\":\"stories15M-hf\",\"prompt\":[" + prompt + "],\"echo\":true,\"logprobs\":5,"
                    + "\"max_tokens\":0}";
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v1/completions")).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), () -> r.body() + "\n" + read(log));
            JsonNode lp = JSON.readTree(r.body()).get("choices").get(0).get("logprobs");
            JsonNode got = lp.get("token_logprobs");
            assertEquals(ids.length, got.size());
            assertTrue(got.get(0).isNull());
            assertEquals(5, lp.get("top_logprobs").get(1).size());

            double[] want = reference(ids);
            for (int i = 1; i < ids.length; i++) {
                assertEquals(want[i], got.get(i).asDouble(), 2e-3, "log-probability of prompt token " + i);
            }
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    /** log p(token i | tokens before it) from one forward pass over the whole prompt, in double. */
    static double[] reference(int[] ids) {
        try (Model m = Model.load(MODEL)) {
            int vocab = m.config().vocabSize();
            float[] logits = m.logits(ids);
            double[] out = new double[ids.length];
            for (int i = 1; i < ids.length; i++) {
                int row = (i - 1) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[row + v]);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.exp(logits[row + v] - max);
                out[i] = logits[row + ids[i]] - max - Math.log(sum);
            }
            return out;
        }
    }

    private static int awaitPort(Process p, Path log) throws Exception {
        Pattern serving = Pattern.compile("serving '.*' on http://127\\.0\\.0\\.1:(\\d+)");
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            Matcher m = serving.matcher(read(log));
            if (m.find()) return Integer.parseInt(m.group(1));
            if (!p.isAlive()) fail("armor serve exited with " + p.exitValue() + ":\n" + read(log));
            Thread.sleep(100);
        }
        throw new AssertionError("armor serve did not start in 120 s:\n" + read(log));
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
