package armor.cli;

import armor.pruner.armor.BlockRule;
import armor.pruner.armor.Overhead;
import armor.runtime.config.ModelConfig;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * ARMOR's options (a mixin) of {@code prune} and {@code prune-serve}: {@code --block}, {@code auto} (the default,
 * {@link BlockRule#auto} on the model's projection shapes) or a block size, a positive multiple of 4; and
 * {@code --refit}/{@code --no-refit} ({@link armor.pruner.armor.ArmorRefit}).
 */
final class ArmorBlock {
    static final String AUTO = "auto";

    @Option(names = "--block", defaultValue = AUTO, description = "ARMOR block size b of A' and B': auto (default: "
            + "the largest b ≤ 128 whose A' and B' add at most 10 %% to the pruned projections' parameters, else 4) "
            + "or a multiple of 4")
    String value = AUTO;

    @Option(names = "--refit", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "ARMOR: after the block coordinate descent, refit A', the kept values and B' on the full "
                    + "layer loss tr(E·XᵀX·Eᵀ), layer by layer on the refitted layers' outputs, masks fixed (default; "
                    + "docs/pruner.md). --no-refit: the paper's algorithm alone")
    boolean refit = true;

    /** Checks the option's form: a usage error (exit 2) unless {@code auto} or a positive multiple of 4. */
    void check(CommandSpec spec) {
        if (value.equalsIgnoreCase(AUTO)) return;
        try {
            int b = Integer.parseInt(value.strip());
            if (b >= 4 && b % 4 == 0) return;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "--block " + value + ", expected auto or a positive multiple of 4");
    }

    /** The block to prune with: the value given, or {@link BlockRule#auto}'s choice, printed on {@code err}. */
    int resolve(ModelConfig c, PrintStream err) {
        if (!value.equalsIgnoreCase(AUTO)) return Integer.parseInt(value.strip());
        BlockRule.Choice choice = BlockRule.auto(Overhead.decoderLayer(c.hiddenSize(), c.intermediateSize(),
                c.numHeads(), c.numKvHeads(), c.headDim()));
        err.println("armor: " + describe(choice));
        return choice.block();
    }

    /** One line: the block chosen, each dimension's block, the share, and why. */
    static String describe(BlockRule.Choice choice) {
        String blocks = choice.blocks().entrySet().stream().map(ArmorBlock::arrow).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "--block auto: b=%d (dimension→block: %s); A' and B' add %.2f %% to the "
                        + "pruned projections' parameters (%s)", choice.block(), blocks, 100 * choice.share(),
                choice.withinShare()
                        ? String.format(Locale.ROOT, "the largest b ≤ %d within %.0f %%", BlockRule.AUTO_MAX, 100 * BlockRule.AUTO_SHARE)
                        : String.format(Locale.ROOT, "no b keeps them within %.0f %%; 4 is the smallest block", 100 * BlockRule.AUTO_SHARE));
    }

    private static String arrow(Map.Entry<Integer, Integer> e) {
        return e.getKey() + "→" + e.getValue();
    }
}
