package armor.runtime.generate;

import java.util.Set;

/**
 * One sequence to generate.
 *
 * @param prompt          prompt token ids (not empty)
 * @param maxNewTokens    most tokens to sample; 0 only prefills (prompt logprobs)
 * @param sampling        how to choose tokens
 * @param topLogprobs     alternatives to report with each generated token, or -1 for no logprobs at all
 * @param promptLogprobs  whether to report the prompt tokens' log-likelihoods
 * @param stopTokens      ids that end the sequence (EOS); they are counted but not passed to the listener
 * @param listener        where results go
 */
public record SequenceRequest(int[] prompt, int maxNewTokens, SamplingParams sampling, int topLogprobs,
                              boolean promptLogprobs, Set<Integer> stopTokens, SequenceListener listener) {
    public SequenceRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens < 0");
    }
}
