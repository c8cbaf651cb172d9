package armor.cli;

import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;

/**
 * The sampling flags of {@code generate} and {@code chat} (a picocli mixin): the server's request parameters under
 * the same names, read into the same {@link SamplingParams}, so a seed and settings give the same text both ways.
 */
public final class SamplingFlags {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--max-tokens", defaultValue = "256", description = "tokens to generate at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = off (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling over what top-k kept; 1 = off (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.0", description = "then drop tokens below min-p × the top probability; 0 = off (default ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--presence-penalty", defaultValue = "0.0", description = "subtracted from the logits of tokens generated so far (OpenAI); 0 = off (default ${DEFAULT-VALUE})")
    float presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0.0", description = "subtracted once per time a token was generated (OpenAI); 0 = off (default ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", description = "divides positive (multiplies negative) logits of tokens in the prompt or generated (transformers); 1 = off (default ${DEFAULT-VALUE})")
    float repetitionPenalty;

    @Option(names = "--seed", description = "random seed (default: random, printed to stderr)")
    Long seed;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = List.of();

    @Option(names = "--ignore-eos", description = "keep generating past end-of-sequence tokens")
    boolean ignoreEos;

    /** The seed given, or a fresh one from the clock (to print, so a run can be repeated). */
    long seedOrRandom() {
        return seed != null ? seed : System.nanoTime();
    }

    /** The flags as sampling parameters; a value out of range is a usage error (exit 2) naming the flag. */
    SamplingParams params(long seed) {
        try {
            return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty,
                    repetitionPenalty, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** --max-tokens, --stop and --ignore-eos; a value out of range is a usage error. */
    StopConditions stopConditions() {
        try {
            return new StopConditions(maxTokens, stop, ignoreEos);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
