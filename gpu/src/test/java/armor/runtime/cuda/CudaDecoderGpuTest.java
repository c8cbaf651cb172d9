package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.CusparseLtLibrary;
import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.safetensors.CheckpointWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole decoder on the GPU against Hugging Face transformers' float32 logits of ../shared/fixtures (last-token
 * logits of each case): within 1e-2 of the logits' scale, the bf16 tolerance of the issue. Needs a GPU (8.0+),
 * cuSPARSELt and cuBLAS.
 */
class CudaDecoderGpuTest {
    private static String whyNot() {
        try {
            if (CudaDevices.list().stream().noneMatch(CudaDevices.Info::hasSparseTensorCores)) return "no GPU of compute capability 8.0+";
            CusparseLtLibrary.load();
            CublasLibrary.load();
            return null;
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3-random", "tiny-qwen2-random"})
    void lastLogitsMatchTheTransformersFixture(String name) throws IOException {
        String reason = whyNot();
        assumeTrue(reason == null, () -> "GPU test skipped: " + reason);
        Path shared = Path.of(System.getProperty("armor.shared", "../shared"));
        Path dir = shared.resolve("models").resolve(name);
        JsonNode fixture = new ObjectMapper().readTree(shared.resolve("fixtures").resolve(name + "-reference.json").toFile());
        ModelConfig config = ConfigReader.read(dir);
        try (CheckpointWeights weights = CheckpointWeights.open(dir); CudaContext cuda = CudaContext.open(0);
             CusparseLtHandle sparse = CusparseLtHandle.create();
             CudaDecoder decoder = CudaDecoder.load(config, weights, cuda, sparse, 1, 256)) {
            for (JsonNode c : fixture.get("cases")) {
                int[] ids = new int[c.get("input_ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("input_ids").get(i).asInt();
                float[] logits = lastLogits(decoder, ids);
                JsonNode ref = c.get("last_logits");
                assertEquals(config.vocabSize(), ref.size());
                double scale = 1, worst = 0;
                for (JsonNode v : ref) scale = Math.max(scale, Math.abs(v.asDouble()));
                for (int i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - ref.get(i).asDouble()));
                double w = worst;
                assertTrue(worst <= 1e-2 * scale, () -> name + " \"" + c.get("prompt").asText() + "\": max |Δlogit| " + w);
            }
        }
    }

    /** Logits after the last token of a prompt run from position 0 in sequence slot 0. */
    static float[] lastLogits(CudaDecoder decoder, int[] prompt) {
        int[] seq = new int[prompt.length], pos = new int[prompt.length];
        for (int i = 0; i < pos.length; i++) pos[i] = i;
        return decoder.forward(prompt, seq, pos, new int[] {prompt.length - 1});
    }
}
