package armor.cli;

import armor.runtime.generate.SamplingParams;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;

/** The sampling flags of {@code generate} and {@code chat} (a picocli mixin). */
public final class SamplingOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--max-tokens", defaultValue = "256", description = "tokens to generate at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = off (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling threshold; 1 = off (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.0", description = "drop tokens below min-p × the top probability; 0 = off (default ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", description = "penalise tokens already seen; 1 = off (default ${DEFAULT-VALUE})")
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
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, seed, maxTokens, stop, ignoreEos);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
