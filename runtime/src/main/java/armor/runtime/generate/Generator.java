package armor.runtime.generate;

import armor.runtime.generate.GenerationResult.StopReason;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.tokenizer.StreamDecoder;
import armor.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Generates one sequence for {@code armor generate} and {@code armor chat}: it runs on the server's loop, a
 * {@link BatchScheduler} with one sequence, so the command line and the server sample, stop and detokenize alike.
 * The prompt is prefilled, then one token per forward pass is sampled and streamed to a {@link TokenListener}.
 * Stops at an id of the {@link StopPolicy} (config.json, generation_config.json and the tokenizer's EOS, the chat
 * template's end of turn), at a stop string, at {@code maxTokens}, or when the context is full.
 */
public final class Generator {
    private final Model model;
    private final Tokenizer tokenizer;
    private final Set<Integer> eos = new HashSet<>();

    /**
     * @param tokenizer decodes text for the listener and stop strings; may be null (ids only). Generation ends at
     *                  the ids of {@link StopPolicy#of}, as in the server.
     */
    public Generator(Model model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        eos.addAll(StopPolicy.of(model.config(), tokenizer).tokenIds());
    }

    public Set<Integer> eosTokenIds() {
        return Set.copyOf(eos);
    }

    public GenerationResult generate(int[] prompt, SamplingParams sampling, StopConditions stop, TokenListener listener) {
        checkPrompt(prompt, stop);
        return run(null, 0, prompt, sampling, stop, listener);
    }

    /**
     * Generates on a sequence the caller keeps (a chat reuses its KV cache from turn to turn): the cache must hold
     * the first {@code seq.length()} tokens of {@code prompt}, and at least one prompt token must be new. Only the
     * rest of the prompt is prefilled. On return the cache holds the prompt and the generated tokens that were fed
     * back ({@code seq.length()} says how many: the last sampled token is not fed back); the caller frees it.
     */
    public GenerationResult generate(SequenceState seq, int[] prompt, SamplingParams sampling, StopConditions stop,
                                     TokenListener listener) {
        checkPrompt(prompt, stop);
        int cached = seq.length();
        if (cached >= prompt.length) {
            throw new IllegalArgumentException("sequence already holds " + cached + " of " + prompt.length
                    + " prompt tokens, expected at least one new token to prefill");
        }
        return run(seq, cached, prompt, sampling, stop, listener);
    }

    private GenerationResult run(SequenceState seq, int cached, int[] prompt, SamplingParams sampling,
                                 StopConditions stop, TokenListener listener) {
        if (stop.maxTokens() == 0) {
            return new GenerationResult(new int[0], "", StopReason.MAX_TOKENS, prompt.length - cached, 0, 0);
        }
        Collector collector = new Collector(prompt, stop, listener);
        SequenceRequest request = new SequenceRequest(prompt, stop.maxTokens(), sampling, -1, false,
                stop.ignoreEos() ? Set.of() : Set.copyOf(eos), collector);
        long start = System.nanoTime();
        try (BatchScheduler<SequenceState> scheduler =
                     new BatchScheduler<>(new ModelDecoder(model), 1, 0, SchedulerMetrics.NONE)) {
            if (seq == null) scheduler.submit(List.of(request));
            else scheduler.submit(seq, cached, request);
            collector.await();
        }
        if (collector.error != null) throw collector.error;
        int[] tokens = collector.tokens();
        String text = tokenizer == null ? "" : CompletionText.of(tokenizer, prompt, tokens, stop.stopStrings());
        long first = collector.firstTokenNanos != 0 ? collector.firstTokenNanos : collector.endNanos;
        return new GenerationResult(tokens, text, collector.reason, prompt.length - cached, first - start,
                collector.endNanos - first);
    }

    /** One sequence's results, turned into streamed text for the listener, on the scheduler's thread. */
    private final class Collector implements SequenceListener {
        private final StopConditions stop;
        private final TokenListener listener;
        private final StreamDecoder text;
        private final StopStrings stops;
        private final CountDownLatch done = new CountDownLatch(1);
        private int[] generated = new int[16];
        private int count;
        long firstTokenNanos;
        long endNanos;
        StopReason reason;
        volatile RuntimeException error;

        Collector(int[] prompt, StopConditions stop, TokenListener listener) {
            this.stop = stop;
            this.listener = listener;
            this.text = tokenizer == null ? null : tokenizer.streamDecoder(true, prompt);
            this.stops = new StopStrings(stop.stopStrings());
        }

        @Override
        public boolean onToken(int token, TokenLogprob logprob) {
            if (count == 0) firstTokenNanos = System.nanoTime();
            if (count == generated.length) generated = Arrays.copyOf(generated, count * 2);
            generated[count++] = token;
            String piece = text == null ? "" : stops.accept(text.next(token));
            listener.onToken(token, piece);
            return !stops.matched();
        }

        @Override
        public void onFinish(FinishReason finish, int generatedTokens) {
            if (text != null && !stops.matched()) {
                String rest = stops.finish(text.flush());
                if (!rest.isEmpty() && count > 0) listener.onToken(-1, rest);
            }
            if (stops.matched()) reason = StopReason.STOP_STRING;
            else if (finish == FinishReason.STOP) reason = StopReason.EOS;
            else reason = count >= stop.maxTokens() ? StopReason.MAX_TOKENS : StopReason.CONTEXT_FULL;
            endNanos = System.nanoTime();
            done.countDown();
        }

        @Override
        public void onError(RuntimeException e) {
            error = e;
            endNanos = System.nanoTime();
            done.countDown();
        }

        int[] tokens() {
            return Arrays.copyOf(generated, count);
        }

        void await() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void checkPrompt(int[] prompt, StopConditions stop) {
        int context = model.config().maxPositions();
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: expected at least one token");
        if (prompt.length >= context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context length "
                    + context + " (max_position_embeddings in config.json) with room to generate");
        }
        if (!stop.stopStrings().isEmpty() && tokenizer == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer, and this model has none");
        }
    }
}
