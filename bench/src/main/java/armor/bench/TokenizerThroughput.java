package armor.bench;

import armor.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Single-thread encode throughput of a tokenizer over a list of texts (e.g. the lines of WikiText-2 test).
 * The first pass starts with a cold JIT and an empty per-word merge cache (what a server sees at start-up);
 * later passes show the steady state, where most words are cache hits and the regex split dominates.
 */
public final class TokenizerThroughput {
    /**
     * @param firstPassMBs MB/s (10^6 bytes of UTF-8 input a second) of the first, cold pass
     * @param medianMBs    median MB/s of the following passes
     * @param bestMBs      best MB/s of the following passes
     */
    public record Result(long bytes, long tokens, int passes, double firstPassMBs, double medianMBs, double bestMBs) {
        public double bytesPerToken() {
            return (double) bytes / tokens;
        }
    }

    private TokenizerThroughput() {}

    public static Result measure(Tokenizer tokenizer, List<String> texts, int passes) {
        if (passes < 2) throw new IllegalArgumentException("passes must be at least 2 (one cold, one warm), got " + passes);
        long bytes = 0;
        for (String t : texts) bytes += t.getBytes(StandardCharsets.UTF_8).length;
        double[] mbs = new double[passes];
        long tokens = 0;
        for (int p = 0; p < passes; p++) {
            long count = 0;
            long start = System.nanoTime();
            for (String t : texts) count += tokenizer.encode(t, false).length;
            long elapsed = System.nanoTime() - start;
            mbs[p] = bytes / 1e6 / (elapsed / 1e9);
            tokens = count;
        }
        double[] warm = Arrays.copyOfRange(mbs, 1, passes);
        Arrays.sort(warm);
        return new Result(bytes, tokens, passes, mbs[0], warm[warm.length / 2], warm[warm.length - 1]);
    }
}
