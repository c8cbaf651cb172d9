package armor.bench;

import armor.cuda.CusparseLtHandle;
import armor.runtime.config.ModelConfig;
import armor.runtime.cuda.CudaContext;
import armor.runtime.cuda.CudaDecoder;
import armor.runtime.safetensors.WeightSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Tokens/s of the whole decoder on the GPU ({@link CudaDecoder}) for several layer kinds of the same model: batched
 * decode (every sequence of the batch gets one token per step; logits of every sequence come back to the host, as
 * generation needs them) and one long prefill. The caller supplies each kind's weights (e.g. a dense checkpoint, and
 * the same seen as 2:4 or ARMOR).
 */
public final class CudaDecodeBenchmark {
    /** {@code phase} is "decode" (batch sequences, one token each per step) or "prefill" (one sequence). */
    public record Result(String kind, String phase, int batch, int tokens, double seconds, double tokensPerSecond) {}

    private static final int PROMPT = 8, WARMUP_STEPS = 2, PREFILL_REPETITIONS = 3;

    private CudaDecodeBenchmark() {}

    public static List<Result> run(CudaContext cuda, CusparseLtHandle sparse, ModelConfig c,
                                   Map<String, Supplier<WeightSource>> kinds, int[] batches, int decodeSteps,
                                   int prefillTokens, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        Random random = new Random(7);
        int maxBatch = Arrays.stream(batches).max().orElse(1);
        for (Map.Entry<String, Supplier<WeightSource>> kind : kinds.entrySet()) {
            progress.accept(kind.getKey() + ": loading for decode");
            try (CudaDecoder d = CudaDecoder.load(c, kind.getValue().get(), cuda, sparse, maxBatch,
                    PROMPT + WARMUP_STEPS + decodeSteps)) {
                for (int b : batches) {
                    double seconds = decode(d, c, b, decodeSteps, random);
                    Result r = new Result(kind.getKey(), "decode", b, b * decodeSteps, seconds, b * decodeSteps / seconds);
                    progress.accept(String.format("%-5s decode  batch %3d: %10.1f tokens/s", r.kind(), b, r.tokensPerSecond()));
                    results.add(r);
                }
            }
            if (prefillTokens > 0) {
                progress.accept(kind.getKey() + ": loading for prefill");
                try (CudaDecoder d = CudaDecoder.load(c, kind.getValue().get(), cuda, sparse, 1, prefillTokens)) {
                    double seconds = prefill(d, c, prefillTokens, random);
                    Result r = new Result(kind.getKey(), "prefill", 1, prefillTokens, seconds, prefillTokens / seconds);
                    progress.accept(String.format("%-5s prefill %5d tokens: %10.1f tokens/s", r.kind(), prefillTokens, r.tokensPerSecond()));
                    results.add(r);
                }
            }
        }
        return results;
    }

    private static int[] tokens(Random random, ModelConfig c, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = random.nextInt(c.vocabSize());
        return t;
    }

    /** Seconds for {@code steps} decode steps of {@code batch} sequences, after a prompt and untimed steps. */
    private static double decode(CudaDecoder d, ModelConfig c, int batch, int steps, Random random) {
        int[] seq = new int[batch * PROMPT], pos = new int[batch * PROMPT], last = new int[batch];
        for (int s = 0; s < batch; s++) {
            for (int p = 0; p < PROMPT; p++) {
                seq[s * PROMPT + p] = s;
                pos[s * PROMPT + p] = p;
            }
            last[s] = s * PROMPT + PROMPT - 1;
        }
        d.forward(tokens(random, c, batch * PROMPT), seq, pos, last);
        int[] stepSeq = new int[batch], stepPos = new int[batch], rows = new int[batch];
        for (int s = 0; s < batch; s++) stepSeq[s] = rows[s] = s;
        long start = 0;
        for (int step = 0; step < WARMUP_STEPS + steps; step++) {
            if (step == WARMUP_STEPS) start = System.nanoTime();
            Arrays.fill(stepPos, PROMPT + step);
            d.forward(tokens(random, c, batch), stepSeq, stepPos, rows); // synchronizes: logits come back
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Median seconds of one forward pass over a prompt of {@code n} tokens (after one untimed pass). */
    private static double prefill(CudaDecoder d, ModelConfig c, int n, Random random) {
        int[] seq = new int[n], pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = i;
        int[] prompt = tokens(random, c, n);
        double[] samples = new double[PREFILL_REPETITIONS];
        for (int rep = -1; rep < PREFILL_REPETITIONS; rep++) {
            long start = System.nanoTime();
            d.forward(prompt, seq, pos, new int[] {n - 1});
            if (rep >= 0) samples[rep] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(samples);
        return samples[PREFILL_REPETITIONS / 2];
    }
}
