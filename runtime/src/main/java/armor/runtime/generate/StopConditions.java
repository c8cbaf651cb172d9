package armor.runtime.generate;

import java.util.List;

/**
 * When {@link Generator} stops, besides a full context.
 *
 * @param maxTokens   generated tokens at most (an end-of-sequence token not counted)
 * @param stopStrings generation ends before the first occurrence of any of these in the generated text
 * @param ignoreEos   keep going past end-of-sequence tokens (for benchmarks and reference comparisons)
 */
public record StopConditions(int maxTokens, List<String> stopStrings, boolean ignoreEos) {
    public StopConditions {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens " + maxTokens + ", expected >= 0");
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
    }

    /** At most {@code n} tokens, ending at end-of-sequence, no stop strings. */
    public static StopConditions maxTokens(int n) {
        return new StopConditions(n, List.of(), false);
    }
}
