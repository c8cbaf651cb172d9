package armor.server.scheduler;

/**
 * How the next token is chosen from the logits. {@code temperature == 0} is greedy (argmax).
 * {@code topK <= 0}, {@code topP == 1} and {@code minP == 0} disable those filters. Penalties follow OpenAI:
 * {@code logit[t] -= presencePenalty * (count[t] > 0) + frequencyPenalty * count[t]} over the tokens generated so far.
 */
public record SamplingOptions(float temperature, float topP, int topK, float minP,
                              float presencePenalty, float frequencyPenalty, long seed) {

    public static SamplingOptions greedy() {
        return new SamplingOptions(0f, 1f, 0, 0f, 0f, 0f, 0L);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public boolean hasPenalties() {
        return presencePenalty != 0f || frequencyPenalty != 0f;
    }

    /** The same options with another seed (the i-th of {@code n} choices uses {@code seed + i}). */
    public SamplingOptions withSeed(long newSeed) {
        return new SamplingOptions(temperature, topP, topK, minP, presencePenalty, frequencyPenalty, newSeed);
    }
}
