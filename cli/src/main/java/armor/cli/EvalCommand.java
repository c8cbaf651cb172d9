package armor.cli;

import picocli.CommandLine.Command;

/** {@code armor eval}: model quality measurements (subcommands). */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a model.",
        subcommands = {PerplexityCommand.class, CompareCommand.class})
public final class EvalCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand, expected: ppl or compare");
    }
}
