package armor.runtime.generate;

/**
 * @param tokens       generated ids (the stop token excluded)
 * @param text         the generated text (empty without a tokenizer), stop string excluded: the exact decode of
 *                     {@code tokens} after the prompt ({@link CompletionText}), which streamed pieces may not be
 * @param promptTokens prompt tokens prefilled (those a reused KV cache already held not counted)
 * @param prefillNanos time to process the prompt and pick the first token
 * @param decodeNanos  time for the remaining tokens
 */
public record GenerationResult(int[] tokens, String text, StopReason stopReason, int promptTokens,
                               long prefillNanos, long decodeNanos) {

    public enum StopReason { EOS, STOP_STRING, MAX_TOKENS, CONTEXT_FULL }

    public double promptTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
    }

    /** Tokens/s of the decode phase (tokens after the first, which the prefill produced). */
    public double decodeTokensPerSecond() {
        return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
    }
}
