package armor.cli;

import armor.bench.TokenizerThroughput;
import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor bench-tokenizer}: single-thread encode throughput (MB/s) on a text corpus. */
@Command(name = "bench-tokenizer", mixinStandardHelpOptions = true,
        description = {"Measure single-thread encode throughput in MB/s (10^6 bytes of UTF-8 text a second).",
                "The corpus is JSONL with a \"text\" field (default: WikiText-2 raw test) or, for other",
                "extensions, plain text encoded line by line."})
public final class BenchTokenizerCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder (tokenizer.json)")
    Path model;

    @Option(names = "--data", description = "corpus file (default: ${DEFAULT-VALUE})",
            defaultValue = "../shared/data/wikitext-2-raw-v1/test.json")
    Path data;

    @Option(names = "--passes", description = "passes over the corpus, the first one cold (default: ${DEFAULT-VALUE})",
            defaultValue = "20")
    int passes;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(data)) throw new IllegalArgumentException("--data " + data + ": no such file");
        long t0 = System.nanoTime();
        Tokenizer tokenizer = Tokenizer.load(model);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        List<String> texts = readCorpus(data);
        TokenizerThroughput.Result r = TokenizerThroughput.measure(tokenizer, texts, passes);
        System.out.printf("tokenizer     %s (loaded in %.2f s)%n", model, loadSeconds);
        System.out.printf("corpus        %s: %d texts, %,d bytes, %,d tokens (%.2f bytes/token)%n",
                data, texts.size(), r.bytes(), r.tokens(), r.bytesPerToken());
        System.out.printf("encode, 1 thread, first pass (cold JIT, empty word cache): %.2f MB/s%n", r.firstPassMBs());
        System.out.printf("encode, 1 thread, warm passes (%d): median %.2f MB/s, best %.2f MB/s%n",
                r.passes() - 1, r.medianMBs(), r.bestMBs());
        return 0;
    }

    private static List<String> readCorpus(Path file) throws java.io.IOException {
        List<String> texts = new ArrayList<>();
        if (file.toString().endsWith(".json") || file.toString().endsWith(".jsonl")) {
            ObjectMapper json = new ObjectMapper();
            int lineNo = 0;
            for (String line : Files.readAllLines(file)) {
                lineNo++;
                if (line.isBlank()) continue;
                var node = json.readTree(line);
                if (!node.path("text").isTextual()) {
                    throw new IllegalArgumentException(file + ": line " + lineNo + " has no string field \"text\"");
                }
                texts.add(node.path("text").asText());
            }
        } else {
            texts.addAll(Files.readAllLines(file));
        }
        return texts;
    }
}
