package armor.bench;

import armor.runtime.model.Model;
import armor.runtime.generate.ModelDecoder;
import armor.server.metrics.ServerMetrics;
import armor.runtime.generate.BatchScheduler;
import armor.runtime.generate.FinishReason;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.SequenceListener;
import armor.runtime.generate.SequenceRequest;
import armor.runtime.generate.TokenLogprob;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What continuous batching buys: {@code concurrency} sequences decoded together by the server's scheduler (one
 * batched forward pass over the weights per step) against one at a time. It drives the scheduler directly, without
 * HTTP, so it needs no tokenizer and works on random-weight models of real shapes.
 */
public final class ServeBenchmark {
    /**
     * @param decodeTokens  tokens produced by batched decode steps (each sequence's first token comes from prefill)
     * @param decodeSeconds time inside those steps
     * @param wallSeconds   submission to the last sequence's end, prefill included
     */
    public record Result(int concurrency, int decodeTokens, double decodeSeconds, double wallSeconds, int generated,
                         double samplingSeconds) {
        /** Milliseconds the scheduler thread spent choosing one token (penalties, filters, draw). */
        public double samplingMillisPerToken() {
            return samplingSeconds * 1e3 / generated;
        }

        public double decodeTokensPerSecond() {
            return decodeTokens / decodeSeconds;
        }

        public double wallTokensPerSecond() {
            return generated / wallSeconds;
        }
    }

    private ServeBenchmark() {}

    /** Generates {@code tokens} tokens (greedy, EOS ignored) for each of {@code concurrency} sequences at once. */
    public static Result run(Model model, int concurrency, int promptTokens, int tokens) {
        return run(model, concurrency, promptTokens, tokens, SamplingParams.GREEDY);
    }

    /** As above, choosing tokens with {@code sampling} (sequence i seeded with its seed + i). */
    public static Result run(Model model, int concurrency, int promptTokens, int tokens, SamplingParams sampling) {
        ServerMetrics metrics = new ServerMetrics();
        int vocab = model.config().vocabSize();
        try (BatchScheduler<?> scheduler = new BatchScheduler<>(new ModelDecoder(model), concurrency, concurrency, metrics)) {
            CountDownLatch done = new CountDownLatch(concurrency);
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            int[] generated = new int[concurrency];
            List<SequenceRequest> requests = new ArrayList<>();
            for (int s = 0; s < concurrency; s++) {
                int[] prompt = new int[promptTokens];
                for (int i = 0; i < promptTokens; i++) prompt[i] = (int) ((i * 7919L + s * 104729L + 13) % vocab);
                int index = s;
                requests.add(new SequenceRequest(prompt, tokens, sampling.withSeed(sampling.seed() + s), -1, false,
                        Set.of(),
                        new SequenceListener() {
                            @Override
                            public boolean onToken(int token, TokenLogprob logprob) {
                                return true;
                            }

                            @Override
                            public void onFinish(FinishReason reason, int count) {
                                generated[index] = count;
                                done.countDown();
                            }

                            @Override
                            public void onError(RuntimeException error) {
                                failure.set(error);
                                done.countDown();
                            }
                        }));
            }
            long t0 = System.nanoTime();
            scheduler.submit(requests);
            try {
                if (!done.await(30, TimeUnit.MINUTES)) throw new IllegalStateException("benchmark timed out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (failure.get() != null) throw failure.get();
            int total = 0;
            for (int g : generated) total += g;
            return new Result(concurrency, (int) metrics.decodeTokens(), metrics.decodeNanos() / 1e9, wall, total,
                    metrics.samplingNanos() / 1e9);
        }
    }
}
