package armor.runtime.generate;

import java.util.List;

/**
 * How to pick tokens. {@code temperature == 0} means greedy (argmax; the other filters are then irrelevant).
 * Filters apply in Hugging Face's order: repetition penalty, temperature, top-k, top-p, min-p.
 *
 * @param topK              keep the k most likely tokens; 0 disables
 * @param topP              keep the smallest set whose probability reaches p; 1 disables
 * @param minP              drop tokens below minP × the top probability; 0 disables
 * @param repetitionPenalty divide positive (multiply negative) logits of tokens already seen; 1 disables
 * @param seed              seeds the sampler: the same seed gives the same output
 * @param maxTokens         generated tokens at most (the stop token not counted)
 * @param stopStrings       generation ends before the first occurrence of any of these in the generated text
 * @param ignoreEos         keep going past end-of-sequence tokens (for benchmarks and reference comparisons)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             long seed, int maxTokens, List<String> stopStrings, boolean ignoreEos) {

    public SamplingParams {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature " + temperature + ", expected >= 0");
        if (topK < 0) throw new IllegalArgumentException("top-k " + topK + ", expected >= 0 (0 disables)");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p " + topP + ", expected in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p " + minP + ", expected in [0, 1]");
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition penalty " + repetitionPenalty + ", expected > 0");
        }
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens " + maxTokens + ", expected >= 0");
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, 0, 1, 0, maxTokens, List.of(), false);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingParams withIgnoreEos(boolean ignore) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, seed, maxTokens, stopStrings, ignore);
    }
}
