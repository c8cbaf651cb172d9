package armor.runtime.generate;

/**
 * The log-probability of one token under the model's raw distribution (log-softmax of the logits before
 * temperature, penalties and filters, as OpenAI and vLLM report it), with the most likely alternatives.
 */
public record TokenLogprob(int token, float logprob, int[] topTokens, float[] topLogprobs) {}
