package armor.runtime.generate;

/**
 * How the next token is chosen from one row of logits: OpenAI's parameters plus Hugging Face's
 * {@code repetition_penalty}, the same for {@code armor generate}, {@code armor chat} and the server. {@link Sampler}
 * applies them in one order, Hugging Face's and vLLM's:
 * <ol>
 *   <li>repetition penalty over every token of the sequence so far (prompt and generated): a positive logit is
 *       divided by it, a negative one multiplied (transformers' {@code RepetitionPenaltyLogitsProcessor});</li>
 *   <li>presence and frequency penalties over the generated tokens (OpenAI):
 *       {@code logit[t] -= presence·[count[t] > 0] + frequency·count[t]};</li>
 *   <li>{@code temperature == 0}: the argmax (the first on ties), and the filters below do not apply;
 *       otherwise the logits are divided by the temperature and turned into probabilities;</li>
 *   <li>top-k: the k most likely tokens stay;</li>
 *   <li>top-p: of those, the most likely ones whose probability, renormalized over what top-k kept, reaches p stay
 *       (at least one);</li>
 *   <li>min-p: of those, the ones whose probability is at least min-p × the top probability stay;</li>
 *   <li>one draw from what stays, proportional to the probabilities, with a random stream seeded by {@code seed}:
 *       the same seed and logits give the same token, whatever else shares a batch.</li>
 * </ol>
 *
 * @param temperature       0 = greedy; else ≥ 0
 * @param topK              keep the k most likely tokens; 0 disables
 * @param topP              in (0, 1]; 1 disables
 * @param minP              in [0, 1]; 0 disables
 * @param presencePenalty   subtracted once from the logit of every token generated so far; 0 disables
 * @param frequencyPenalty  subtracted from a token's logit once per time it was generated; 0 disables
 * @param repetitionPenalty > 0; 1 disables
 * @param seed              seeds the draw
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float presencePenalty,
                             float frequencyPenalty, float repetitionPenalty, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature " + temperature + ", expected >= 0 (0 = greedy)");
        }
        if (topK < 0) throw new IllegalArgumentException("top-k " + topK + ", expected >= 0 (0 disables)");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p " + topP + ", expected in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p " + minP + ", expected in [0, 1]");
        if (!Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presence penalty " + presencePenalty + ", expected a finite number");
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequency penalty " + frequencyPenalty + ", expected a finite number");
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty " + repetitionPenalty + ", expected > 0 (1 disables)");
        }
    }

    /** Argmax, no penalties. */
    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 0, 0, 0, 1, 0);

    public boolean isGreedy() {
        return temperature == 0;
    }

    boolean hasPenalties() {
        return presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1;
    }

    /** The same settings with another seed (the i-th of {@code n} choices of a request uses {@code seed + i}). */
    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty,
                newSeed);
    }
}
