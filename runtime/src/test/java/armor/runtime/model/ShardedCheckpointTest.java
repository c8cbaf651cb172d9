package armor.runtime.model;

import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** A real checkpoint rewritten by the writer as two shards with an index loads and computes exactly as the original. */
class ShardedCheckpointTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    @Test
    void rewrittenAsShardsGivesIdenticalLogits(@TempDir Path dir) throws Exception {
        Path original = SHARED.resolve("models/tiny-qwen2-random");
        int[] prompt = {1, 400, 401, 402, 17};
        float[] expected;
        try (Model m = Model.load(original)) {
            expected = m.logits(prompt);
        }
        Files.copy(original.resolve("config.json"), dir.resolve("config.json"));
        try (CheckpointWeights w = CheckpointWeights.open(original)) {
            List<Tensor> first = new ArrayList<>(), second = new ArrayList<>();
            Map<String, String> map = new LinkedHashMap<>();
            int i = 0;
            for (String name : w.names()) {
                boolean one = i++ % 2 == 0;
                (one ? first : second).add(w.tensor(name));
                map.put(name, one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
            SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
            SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
            StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
            map.forEach((k, v) -> index.append('"').append(k).append("\":\"").append(v).append("\","));
            index.setLength(index.length() - 1);
            index.append("}}");
            Files.writeString(dir.resolve(CheckpointWeights.INDEX), index);
        }
        try (Model m = Model.load(dir)) {
            // not bit-exact: the Vector API's interpreted fallback and its compiled form sum lanes in different orders
            assertArrayEquals(expected, m.logits(prompt), 1e-5f);
        }
    }
}
