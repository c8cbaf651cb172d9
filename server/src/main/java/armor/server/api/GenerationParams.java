package armor.server.api;

import armor.runtime.generate.SamplingParams;

import java.util.List;

/**
 * The generation settings common to both endpoints, already validated.
 *
 * @param maxTokens  most tokens to generate, or null for "until the context is full" (capped by the server limit)
 * @param stop       stop strings (never part of the returned text)
 * @param n          choices per prompt
 * @param logprobs   number of top alternatives to report per token, or -1 when logprobs were not requested
 * @param echo       (completions only) return the prompt before the completion, with its logprobs when requested
 * @param seedGiven  whether the client fixed the seed (otherwise {@code sampling.seed()} is random)
 */
public record GenerationParams(Integer maxTokens, List<String> stop, int n, SamplingParams sampling,
                               int logprobs, boolean echo, boolean seedGiven) {
    public boolean wantsLogprobs() {
        return logprobs >= 0;
    }
}
