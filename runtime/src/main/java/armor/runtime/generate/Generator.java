package armor.runtime.generate;

import armor.runtime.generate.GenerationResult.StopReason;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;
import armor.tokenizer.StreamDecoder;
import armor.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Generates one sequence: prefill of the prompt as one batch, then one token per forward pass, streamed to a
 * {@link TokenListener}. Stops at an end-of-sequence id (config.json, generation_config.json and the tokenizer's),
 * at a stop string, at {@code maxTokens}, or when the context is full.
 */
public final class Generator {
    private final Model model;
    private final Tokenizer tokenizer;
    private final Set<Integer> eos = new HashSet<>();

    /** @param tokenizer decodes text for the listener and stop strings; may be null (ids only) */
    public Generator(Model model, Tokenizer tokenizer) {
        this(model, tokenizer, Set.of());
    }

    /** @param endOfTurnIds further ids that end generation (a chat template's end-of-turn tokens) */
    public Generator(Model model, Tokenizer tokenizer, Set<Integer> endOfTurnIds) {
        this.model = model;
        this.tokenizer = tokenizer;
        eos.addAll(model.config().eosTokenIds());
        if (tokenizer != null) tokenizer.eosTokenId().ifPresent(eos::add);
        eos.addAll(endOfTurnIds);
    }

    public Set<Integer> eosTokenIds() {
        return Set.copyOf(eos);
    }

    public GenerationResult generate(int[] prompt, SamplingParams params, TokenListener listener) {
        checkPrompt(prompt, params);
        int context = model.config().maxPositions();
        SequenceState seq = model.newSequence(Math.min(context, prompt.length + params.maxTokens()));
        try {
            return generate(seq, prompt, new Sampler(params), params, listener);
        } finally {
            seq.free();
        }
    }

    /**
     * Generates on a sequence the caller keeps (a chat reuses its KV cache from turn to turn): the cache must hold
     * the first {@code seq.length()} tokens of {@code prompt}, and at least one prompt token must be new. Only the
     * rest of the prompt is prefilled. On return the cache holds the prompt and the generated tokens that were fed
     * back ({@code seq.length()} says how many: the last sampled token is not fed back); the caller frees it.
     */
    public GenerationResult generate(SequenceState seq, int[] prompt, Sampler sampler, SamplingParams params,
                                     TokenListener listener) {
        checkPrompt(prompt, params);
        int cached = seq.length();
        if (cached >= prompt.length) {
            throw new IllegalArgumentException("sequence already holds " + cached + " of " + prompt.length
                    + " prompt tokens, expected at least one new token to prefill");
        }
        int context = model.config().maxPositions();
        int vocab = model.config().vocabSize();
        StreamDecoder text = tokenizer == null ? null : tokenizer.streamDecoder(true, prompt);
        StopStrings stops = new StopStrings(params.stopStrings());
        int[] history = Arrays.copyOf(prompt, prompt.length + params.maxTokens() + 1);
        int historyLength = prompt.length;
        int[] generated = new int[params.maxTokens()];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;

        long start = System.nanoTime();
        long prefillEnd = start;
        if (params.maxTokens() == 0) {
            return new GenerationResult(new int[0], "", StopReason.MAX_TOKENS, prompt.length, 0, 0);
        }
        float[] logits = model.forward(List.of(Step.of(seq, Arrays.copyOfRange(prompt, cached, prompt.length))),
                false, null);
        while (true) {
            int token = sampler.sample(logits, 0, vocab, history, historyLength);
            if (count == 0) prefillEnd = System.nanoTime();
            if (!params.ignoreEos() && eos.contains(token)) {
                reason = StopReason.EOS;
                break;
            }
            generated[count++] = token;
            history[historyLength++] = token;
            String piece = text == null ? "" : stops.accept(text.next(token));
            listener.onToken(token, piece);
            if (stops.matched()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (count == params.maxTokens()) break;
            if (seq.length() + 1 > context) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            logits = model.forward(List.of(Step.of(seq, token)), false, null);
        }
        if (text != null && reason != StopReason.STOP_STRING) {
            String rest = stops.finish(text.flush());
            if (!rest.isEmpty() && count > 0) listener.onToken(-1, rest);
            if (stops.matched()) reason = StopReason.STOP_STRING;
        }
        long end = System.nanoTime();
        return new GenerationResult(Arrays.copyOf(generated, count), stops.emitted(), reason, prompt.length - cached,
                prefillEnd - start, end - prefillEnd);
    }

    private void checkPrompt(int[] prompt, SamplingParams params) {
        int context = model.config().maxPositions();
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: expected at least one token");
        if (prompt.length >= context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context length "
                    + context + " (max_position_embeddings in config.json) with room to generate");
        }
        if (!params.stopStrings().isEmpty() && tokenizer == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer, and this model has none");
        }
    }
}
