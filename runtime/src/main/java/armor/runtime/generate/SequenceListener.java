package armor.runtime.generate;

/**
 * Receives one sequence's results. Called on the scheduler thread only, in order; implementations must not block
 * (they hand text to Netty, whose writes are asynchronous).
 */
public interface SequenceListener {
    /** Log-likelihoods of the prompt tokens (entry 0 is null: nothing precedes the first token). Only when asked. */
    default void onPromptLogprobs(TokenLogprob[] perToken) {}

    /**
     * A generated token (never a stop token id) and, when asked, its logprob entry (else null).
     *
     * @return false to end the sequence now with {@link FinishReason#STOP} (a stop string was seen)
     */
    boolean onToken(int token, TokenLogprob logprob);

    /** The sequence ended; {@code generatedTokens} counts every sampled token, a stop token id included. */
    void onFinish(FinishReason reason, int generatedTokens);

    /** The sequence failed or was refused (e.g. at shutdown); no further calls follow. */
    void onError(RuntimeException error);
}
