package armor.server.scheduler;

import java.util.List;

/**
 * The model as the scheduler drives it: one KV cache per sequence, prompts prefilled one sequence at a time, and
 * decode steps that advance several sequences together in one pass over the weights. Only the scheduler thread
 * calls it, so implementations need not be thread-safe.
 *
 * @param <S> the per-sequence state (the KV cache and its position)
 */
public interface BatchDecoder<S> {
    int vocabSize();

    /** Most positions one sequence can hold (prompt plus generated tokens). */
    int contextLength();

    S newSequence();

    /**
     * Appends {@code tokens} to the sequence and returns the logits that follow the last one. When
     * {@code eachPosition} is not null it receives the logits after every token, in order (the last call equals the
     * returned logits); this is what prompt log-likelihoods need.
     */
    float[] prefill(S sequence, int[] tokens, PositionLogits eachPosition);

    /**
     * Prefills several new sequences in one pass (the weights read once for all prompts) and returns the logits
     * after each one's last token. The default prefills them one by one.
     */
    default float[][] prefillBatch(List<S> sequences, List<int[]> prompts) {
        float[][] out = new float[sequences.size()][];
        for (int i = 0; i < out.length; i++) out[i] = prefill(sequences.get(i), prompts.get(i), null);
        return out;
    }

    /**
     * One batched decode step: appends {@code tokens[i]} to {@code sequences.get(i)} for every i and returns the
     * logits that follow each, {@code [i][vocab]}.
     */
    float[][] decode(List<S> sequences, int[] tokens);

    /** Frees the sequence's KV cache. */
    void release(S sequence);

    /** Receives the logits after the token at {@code position} (0-based within the prefilled tokens). */
    @FunctionalInterface
    interface PositionLogits {
        void accept(int position, float[] logits);
    }
}
