package armor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.UnmatchedArgumentException;

/** The single {@code armor} command. Exit codes: 0 success, 2 bad usage, 1 other failure. */
@Command(name = "armor", mixinStandardHelpOptions = true, version = "armor 0.1.0",
        description = "Prune Hugging Face LLMs to 2:4 sparsity with ARMOR, and serve them fast.",
        subcommands = {
                // each command registers itself here
                ConvertCommand.class, ExportCommand.class, GpuCommand.class,
                GenerateCommand.class, ChatCommand.class, InspectCommand.class, EvalCommand.class, BenchCommand.class, ServeCommand.class, BenchServeCommand.class,
                TokenizeCommand.class, DetokenizeCommand.class, ChatTemplateCommand.class, BenchTokenizerCommand.class,
                PruneCommand.class, RecoverCommand.class, BenchArmorCommand.class, PruneServeCommand.class, BenchLayersCommand.class,
                QuantizeCommand.class,
        })
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // a usage error is one line (the full usage would bury it); --help prints the options
        cl.setParameterExceptionHandler((ex, args2) -> {
            CommandLine cmd = ex.getCommandLine();
            String hint = ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
                    ? "; did you mean " + String.join(" or ", u.getSuggestions()) + "?" : "";
            cmd.getErr().println("armor: " + ex.getMessage() + hint + " (see " + cmd.getCommandSpec().qualifiedName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("armor: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (Boolean.getBoolean("armor.debug")) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
