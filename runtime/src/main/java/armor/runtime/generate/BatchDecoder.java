package armor.runtime.generate;

import java.util.List;

/**
 * The model as the scheduler drives it: one KV cache per sequence, and steps that advance several sequences
 * together in one pass over the weights (prompts of new sequences and single tokens of running ones alike). Only the scheduler thread
 * calls it, so implementations need not be thread-safe.
 *
 * @param <S> the per-sequence state (the KV cache and its position)
 */
public interface BatchDecoder<S> {
    int vocabSize();

    /** Most positions one sequence can hold (prompt plus generated tokens). */
    int contextLength();

    S newSequence();

    /** Bytes of KV cache one position of one sequence holds; what admission estimates a request's memory from. */
    default long bytesPerPosition() {
        return 0;
    }

    /**
     * Appends {@code tokens} to the sequence and returns the logits that follow the last one. When
     * {@code eachPosition} is not null it receives the logits after every token, in order (the last call equals the
     * returned logits); this is what prompt log-likelihoods need.
     */
    float[] prefill(S sequence, int[] tokens, PositionLogits eachPosition);

    /**
     * One batched pass over the weights: appends {@code tokens.get(i)} — a new sequence's whole prompt, or the one
     * token a running sequence sampled last — to {@code sequences.get(i)} for every i, and returns the logits after
     * each sequence's last token, {@code [i][vocab]}. Prompts of joining sequences thus ride along with the decode
     * step of the running ones.
     */
    float[][] step(List<S> sequences, List<int[]> tokens);

    /** Frees the sequence's KV cache. */
    void release(S sequence);

    /** Receives the logits after the token at {@code position} (0-based within the prefilled tokens). */
    @FunctionalInterface
    interface PositionLogits {
        void accept(int position, float[] logits);
    }
}
