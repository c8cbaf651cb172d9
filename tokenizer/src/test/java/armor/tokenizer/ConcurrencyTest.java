package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The server encodes from many threads at once: results must not depend on what the word cache holds. */
class ConcurrencyTest {
    @Test
    void concurrentEncodingGivesTheSameIdsAsAFreshTokenizer() throws Exception {
        List<String> lines = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String row : Files.readAllLines(SharedData.require("data/wikitext-2-raw-v1/validation.json"))) {
            if (!row.isBlank()) lines.add(json.readTree(row).path("text").asText());
            if (lines.size() == 1500) break;
        }
        Tokenizer shared = SharedData.tokenizer("qwen2.5-tokenizer");
        List<int[]> expected = new ArrayList<>();
        Tokenizer fresh = Tokenizer.load(SharedData.model("qwen2.5-tokenizer"));
        for (String line : lines) expected.add(fresh.encode(line, true));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<int[]>>> results = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                int offset = worker * 371;
                results.add(pool.submit(() -> {
                    List<int[]> out = new ArrayList<>(lines.size());
                    for (int k = 0; k < lines.size(); k++) out.add(null);
                    for (int k = 0; k < lines.size(); k++) {
                        int i = (k + offset) % lines.size(); // different order in every thread
                        out.set(i, shared.encode(lines.get(i), true));
                    }
                    return out;
                }));
            }
            for (Future<List<int[]>> f : results) {
                List<int[]> got = f.get();
                for (int i = 0; i < lines.size(); i++) assertArrayEquals(expected.get(i), got.get(i), lines.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
